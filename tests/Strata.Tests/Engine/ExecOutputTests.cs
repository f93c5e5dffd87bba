using System.Text;
using Strata.Engine;

namespace Strata.Tests.Engine;

/// <summary>The engine's exec frames, turned into two whole streams and stdout lines as they complete.</summary>
public sealed class ExecOutputTests
{
    [Fact]
    public void Lines_split_across_frames_and_a_character_split_across_frames_come_out_whole()
    {
        var lines = new List<string>();
        var output = new ExecOutput(lines.Add);
        var euro = Encoding.UTF8.GetBytes("€"); // three bytes

        output.Add(true, "ok - one\nok - t"u8);
        Assert.Equal(["ok - one"], lines);
        output.Add(false, "warning\n"u8);
        output.Add(true, [.. "wo "u8, euro[0]]);
        output.Add(true, [euro[1], euro[2], .. "\r\nlast"u8]);
        output.Complete();

        Assert.Equal(["ok - one", "ok - two €", "last"], lines);
        Assert.Equal("ok - one\nok - two €\r\nlast", output.StdOut);
        Assert.Equal("warning\n", output.StdErr);
    }

    [Fact]
    public void Without_a_line_reader_both_streams_are_kept()
    {
        var output = new ExecOutput(null);
        output.Add(true, "a\nb"u8);
        output.Add(false, "c"u8);
        output.Complete();

        Assert.Equal("a\nb", output.StdOut);
        Assert.Equal("c", output.StdErr);
    }
}
