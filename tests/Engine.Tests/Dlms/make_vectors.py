#!/usr/bin/env python3
"""Independent reference for the DLMS test vectors (DlmsFixtures.cs): wire-format.md sections 2-4
computed with pyca/cryptography, not with the .NET code under test. Run: python3 make_vectors.py"""
import struct
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# RFC 5869 test case 1
okm = HKDF(hashes.SHA256(), 42, bytes.fromhex("000102030405060708090a0b0c"),
           bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")).derive(b"\x0b" * 22)
print("RFC5869-1 OKM", okm.hex())

# Green Book suite-0 example (EK/AK/system title/IC of DLMS UA 1000-2)
ek = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
ak = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
iv = bytes.fromhex("4D4D4D0000BC614E01234567")
for p in ["01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0", "C0010000080000010000FF0200"]:
    out = AESGCM(ek).encrypt(iv, bytes.fromhex(p), b"\x30" + ak)
    print("GreenBook", p, "->", out[:-16].hex().upper(), "tag", out[-16:-4].hex().upper())

# This system: keys per section 4, frame per sections 2-3
master = bytes(range(32))
guid = uuid.UUID("4faa59a2-e276-509b-bdc4-9d6ddc1abe43").bytes  # RFC 4122 network order


def kdf(label):
    return HKDF(hashes.SHA256(), 16, b"", label + guid).derive(master)


mek, mak = kdf(b"EK"), kdf(b"AK")
print("EK", mek.hex().upper(), "AK", mak.hex().upper())


def dt(y, mo, d, dow, h, mi, s, hu, dev=0, st=0):
    return struct.pack(">HBBBBBBBhB", y, mo, d, dow, h, mi, s, hu, dev, st)


pt = (bytes([0x0F]) + struct.pack(">I", 0x80000001) + bytes([0x0C]) + dt(2024, 5, 1, 3, 12, 0, 0, 0)
      + bytes([0x02, 0x07, 0x09, 0x10]) + guid + bytes([0x11, 0x01, 0x06]) + struct.pack(">I", 42)
      + bytes([0x12]) + struct.pack(">H", 3) + bytes([0x09, 0x0C]) + dt(2024, 5, 1, 3, 11, 59, 59, 50)
      + bytes([0x12]) + struct.pack(">H", 3650) + bytes([0x0F]) + struct.pack(">b", -87))
print("PT", pt.hex().upper())
title, ic = bytes.fromhex("4D4D4D0000BC614E"), 1
out = AESGCM(mek).encrypt(title + struct.pack(">I", ic), pt, b"\x30" + mak)
content = bytes([0x30]) + struct.pack(">I", ic) + out[:-16] + out[-16:-4]
print("FRAME", (bytes([0xDB, 0x08]) + title + bytes([len(content)]) + content).hex().upper())
