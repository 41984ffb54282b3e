#!/usr/bin/python3
"""Independent encoder for the meter -> head-end wire format.

Written from the text of the contract (wire-format.md) and RFC 7252 / RFC 7959 alone, without
reading the product's C# code, so that its mistakes (if any) are its own and not the product's.
Needs only the Python standard library and the `cryptography` package (Debian
python3-cryptography). Prints a JSON document with every input and the datagrams as hex;
frames.json next to this script is that output, checked in, and the tests compare both.

    /usr/bin/python3 encode_frames.py > frames.json
"""
import datetime
import json
import struct
import sys
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Test-only inputs. The master key is a fixture, never a production key.
MASTER_KEY = bytes(range(0x00, 0x20))
CAP_OK_MV = 4200
RSSI_DBM = -71

COAP_CON, COAP_NON = 0, 1
CODE_POST = (0 << 5) | 2
OPT_URI_PATH, OPT_CONTENT_FORMAT, OPT_BLOCK1 = 11, 12, 27
CONTENT_FORMAT_OCTET_STREAM = 42


# ---- section 4: keys ---------------------------------------------------------------------
def derive(label: bytes, guid: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=label + guid).derive(MASTER_KEY)


# ---- section 3: COSEM date-time and Data-Notification -------------------------------------
def cosem_datetime(t: datetime.datetime) -> bytes:
    """12 bytes; UTC, deviation 0 (meters in this system send UTC), clock-status 0."""
    t = t.astimezone(datetime.timezone.utc)
    return struct.pack(">HBBBBBBBhB", t.year, t.month, t.day, t.isoweekday(),
                       t.hour, t.minute, t.second, t.microsecond // 10000, 0, 0x00)


def data_notification(invoke_id: int, send_time, guid: bytes, code: int, event_id: int,
                      epoch: int, event_time, cap_mv: int, rssi: int) -> bytes:
    out = bytearray([0x0F]) + struct.pack(">I", invoke_id)
    out += b"\x00" if send_time is None else b"\x0c" + cosem_datetime(send_time)
    out += b"\x02\x07"                                   # structure of 7 elements
    out += b"\x09\x10" + guid                            # octet-string(16) meter GUID
    out += b"\x11" + struct.pack(">B", code)             # unsigned: event code
    out += b"\x06" + struct.pack(">I", event_id)         # double-long-unsigned: event id
    out += b"\x12" + struct.pack(">H", epoch)            # long-unsigned: epoch
    out += b"\x09\x0c" + cosem_datetime(event_time)      # octet-string(12): event time
    out += b"\x12" + struct.pack(">H", cap_mv)           # long-unsigned: capacitor mV
    out += b"\x0f" + struct.pack(">b", rssi)             # integer: RSSI dBm
    return bytes(out)


# ---- section 2: general-glo-ciphering, suite 0 --------------------------------------------
def axdr_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    return b"\x82" + struct.pack(">H", n)


def glo_cipher(system_title: bytes, counter: int, guid: bytes, plaintext: bytes) -> bytes:
    ek, ak = derive(b"EK", guid), derive(b"AK", guid)
    sc = 0x30
    iv = system_title + struct.pack(">I", counter)
    sealed = AESGCM(ek).encrypt(iv, plaintext, bytes([sc]) + ak)
    ciphertext, tag = sealed[:-16], sealed[-16:][:12]    # GCM tag truncated to 12 bytes
    body = bytes([sc]) + struct.pack(">I", counter) + ciphertext + tag
    return b"\xdb\x08" + system_title + axdr_length(len(body)) + body


# ---- section 1: CoAP (RFC 7252 section 3) -------------------------------------------------
def option_nibble(v: int):
    if v < 13:
        return v, b""
    if v < 269:
        return 13, bytes([v - 13])
    return 14, struct.pack(">H", v - 269)


def coap(msg_type: int, message_id: int, token: bytes, options, payload: bytes) -> bytes:
    out = bytearray([(1 << 6) | (msg_type << 4) | len(token), CODE_POST]) + struct.pack(">H", message_id) + token
    last = 0
    for number, value in sorted(options, key=lambda o: o[0]):    # stable: repeated options keep order
        d, dext = option_nibble(number - last)
        l, lext = option_nibble(len(value))
        out += bytes([(d << 4) | l]) + dext + lext + value
        last = number
    if payload:
        out += b"\xff" + payload
    return bytes(out)


def uint_option(v: int) -> bytes:
    """RFC 7252 section 3.2 uint: shortest big-endian form, zero is empty."""
    return b"" if v == 0 else v.to_bytes((v.bit_length() + 7) // 8, "big")


def event_options():
    return [(OPT_URI_PATH, b"ami"), (OPT_URI_PATH, b"ev"),
            (OPT_CONTENT_FORMAT, uint_option(CONTENT_FORMAT_OCTET_STREAM))]


def block1_value(num: int, more: bool, szx: int) -> bytes:
    return uint_option((num << 4) | (int(more) << 3) | szx)      # RFC 7959 section 2.2


# ---- the frames -----------------------------------------------------------------------------
def utc(s: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc)


FRAMES = [
    dict(name="power-down-last-gasp-non", coapType="NON", messageId=0x1001, token="a1b2",
         systemTitle="4D4D4D0000000001", guid="6f1c2a4e-8b3d-4f7a-9c51-0e2d3b4a5c61",
         counter=17, invokeId=0x80000011, code=1, eventId=4242, epoch=3,
         eventTime="2026-03-14T09:26:53.580", sendTime="2026-03-14T09:26:53.590",
         capacitorMv=CAP_OK_MV, rssi=RSSI_DBM),
    dict(name="power-up-con", coapType="CON", messageId=0x1002, token="c3d4e5f6",
         systemTitle="4D4D4D0000000001", guid="6f1c2a4e-8b3d-4f7a-9c51-0e2d3b4a5c61",
         counter=18, invokeId=0x00000012, code=2, eventId=4243, epoch=3,
         eventTime="2026-03-14T10:02:07.250", sendTime="2026-03-14T10:02:07.310",
         capacitorMv=0, rssi=-88),
    dict(name="test-power-down-231-con", coapType="CON", messageId=0x2001, token="",
         systemTitle="4D4D4D0000000002", guid="0b9e7d1c-3f5a-4e2b-8d6c-7a1f9e3c2b40",
         counter=5, invokeId=0x00000005, code=231, eventId=7, epoch=1,
         eventTime="2026-11-02T23:59:59.990", sendTime=None,
         capacitorMv=CAP_OK_MV, rssi=-104),
    dict(name="power-down-block1-pair", coapType="CON", messageId=0x3001, token="0b1c",
         systemTitle="4D4D4D0000000003", guid="d2c1b0a9-8877-4665-9544-332211aabbcc",
         counter=1000, invokeId=0x800003E8, code=1, eventId=65536, epoch=65535,
         eventTime="2026-07-04T12:00:00.000", sendTime="2026-07-04T12:00:00.020",
         capacitorMv=3650, rssi=-60, block1Szx=2),
    dict(name="power-down-wrong-tag", coapType="CON", messageId=0x4001, token="dead",
         systemTitle="4D4D4D0000000001", guid="6f1c2a4e-8b3d-4f7a-9c51-0e2d3b4a5c61",
         counter=19, invokeId=0x80000013, code=1, eventId=4244, epoch=3,
         eventTime="2026-03-14T11:00:00.000", sendTime="2026-03-14T11:00:00.010",
         capacitorMv=CAP_OK_MV, rssi=RSSI_DBM, corruptTag=True),
]


def build(f: dict) -> dict:
    guid = uuid.UUID(f["guid"]).bytes                   # RFC 4122 network order
    title = bytes.fromhex(f["systemTitle"])
    send = None if f["sendTime"] is None else utc(f["sendTime"])
    plain = data_notification(f["invokeId"], send, guid, f["code"], f["eventId"], f["epoch"],
                              utc(f["eventTime"]), f["capacitorMv"], f["rssi"])
    apdu = bytearray(glo_cipher(title, f["counter"], guid, plain))
    if f.get("corruptTag"):
        apdu[-1] ^= 0x01                                 # last byte of the 12-byte tag
    apdu = bytes(apdu)
    msg_type = COAP_CON if f["coapType"] == "CON" else COAP_NON
    token = bytes.fromhex(f["token"])
    if "block1Szx" in f:
        size = 1 << (f["block1Szx"] + 4)
        chunks = [apdu[i:i + size] for i in range(0, len(apdu), size)]
        datagrams = [coap(msg_type, f["messageId"] + n, token,
                          event_options() + [(OPT_BLOCK1, block1_value(n, n + 1 < len(chunks), f["block1Szx"]))],
                          chunk)
                     for n, chunk in enumerate(chunks)]
    else:
        datagrams = [coap(msg_type, f["messageId"], token, event_options(), apdu)]
    return dict(f, plaintext=plain.hex(), apdu=apdu.hex(), datagrams=[d.hex() for d in datagrams])


def main() -> None:
    doc = dict(
        comment="Generated by encode_frames.py from wire-format.md alone; test-only keys.",
        masterKey=MASTER_KEY.hex(),
        frames=[build(f) for f in FRAMES])
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
