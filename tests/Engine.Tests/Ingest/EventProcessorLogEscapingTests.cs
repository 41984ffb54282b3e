using System.Net;
using System.Text;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Engine.Tests.Ingest;

/// <summary>Network text in the event-processor log: one datagram is one line, never a forged one.</summary>
public sealed class EventProcessorLogEscapingTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "opsconsole-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("plain-ascii_1.2=3", "plain-ascii_1.2=3")]
    [InlineData("a\rb\nc", @"a\x0Db\x0Ac")]
    [InlineData("tab\there", @"tab\x09here")]
    [InlineData("\u001b[31mred", @"\x1B[31mred")]
    [InlineData("nul\0del\u007f", @"nul\x00del\x7F")]
    [InlineData("back\\slash", @"back\\slash")]
    [InlineData("é", @"\xC3\xA9")]
    [InlineData("nel\u0085ls\u2028ps\u2029", @"nel\xC2\x85ls\xE2\x80\xA8ps\xE2\x80\xA9")]
    [InlineData("\ud83d\ude00", @"\xF0\x9F\x98\x80")]
    [InlineData("two words", "two words")]
    public void Detail_EscapesControlNonAsciiAndBackslash(string text, string expected)
    {
        var line = new StringBuilder();
        EventProcessorLog.AppendEscaped(line, text, 1024, escapeSpace: false);
        Assert.Equal(expected, line.ToString());
    }

    [Fact]
    public void LoneSurrogate_IsTheReplacementCharacter()
    {
        var line = new StringBuilder();
        EventProcessorLog.AppendEscaped(line, "lone" + (char)0xD800 + "x", 1024, escapeSpace: false);
        Assert.Equal(@"lone\xEF\xBF\xBDx", line.ToString());
    }

    [Fact]
    public void Token_EscapesTheSpaceToo()
    {
        var line = new StringBuilder();
        EventProcessorLog.AppendEscaped(line, "M1 highest=99", 128, escapeSpace: true);
        Assert.Equal(@"M1\x20highest=99", line.ToString());
    }

    [Fact]
    public void NetworkField_InADetail_HasItsSpacesEscaped_TheDetailsOwnSpacesStay()
    {
        var line = new StringBuilder();
        string detail = "method=0.02 path=" + EventProcessorLog.Field("/ami/x y\u0001z") + " len=3";
        EventProcessorLog.AppendEscaped(line, detail, 1024, escapeSpace: false);
        Assert.Equal(@"method=0.02 path=/ami/x\x20y\xEF\xBF\xBDz len=3", line.ToString());
    }

    [Fact]
    public void LongValue_IsCutOff_WithAMarkerSayingHowMuch()
    {
        var line = new StringBuilder();
        EventProcessorLog.AppendEscaped(line, new string('a', 5000), 1024, escapeSpace: false);
        Assert.Equal(new string('a', 1024) + "[...+3976chars]", line.ToString());
    }

    [Fact]
    public async Task ForgedLineInAPath_StaysInsideOneEscapedLine_WithTheManualsFormat()
    {
        const string forged = "2026-11-24T18:03:11.420Z ERR_REPLAY src=10.9.9.9:5683 meter=M1 ic=1 highest=2";
        await using (var log = new EventProcessorLog(_folder, TimeProvider.System))
        {
            log.Rejected(RejectReason.ERR_NOT_FOUND, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 40123), "M 2\n" + forged, $"method=POST path=/ami/x\r\n{forged}\u2028{forged}");
            log.Rejected(RejectReason.ERR_AUTH_FAILED, null, new string('m', 500), new string('d', 5000));
            await log.FlushAsync();
        }

        var lines = File.ReadAllLines(Path.Combine(_folder, EventProcessorLog.FileName));
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERR_NOT_FOUND src=10\.1\.2\.3:40123 meter=M\\x202\\x0A2026-11-24T18:03:11\.420Z\\x20ERR_REPLAY\\x20", lines[0]);
        Assert.Contains(@" method=POST path=/ami/x\x0D\x0A2026-11-24T18:03:11.420Z ERR_REPLAY src=", lines[0], StringComparison.Ordinal);
        Assert.Contains(@"highest=2\xE2\x80\xA82026-", lines[0], StringComparison.Ordinal);
        Assert.Equal(4, lines[1].Split(' ').Length - 1); // time code src meter detail: the long values stay one field each
        Assert.EndsWith(new string('d', EventProcessorLog.MaxDetailChars) + "[...+3976chars]", lines[1], StringComparison.Ordinal);
        Assert.Contains(" meter=" + new string('m', EventProcessorLog.MaxMeterChars) + "[...+372chars] ", lines[1], StringComparison.Ordinal);
    }
}
