using Strata.Platforms;

namespace Strata.Tests.Platforms;

/// <summary>binfmt_misc entries as the kernel prints them (6.18, Debian 12's qemu-user-static), and the line that registers one again.</summary>
public sealed class BinfmtEntryTests
{
    /// <summary>/proc/sys/fs/binfmt_misc/qemu-aarch64 after Debian's update-binfmts (flags PF), or with other flags.</summary>
    public static string Aarch64(string flags = "PF", bool enabled = true) => $"""
        {(enabled ? "enabled" : "disabled")}
        interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
        flags: {flags}
        offset 0
        magic 7f454c460201010000000000000000000200b700
        mask ffffffffffffff00fffffffffffffffffeffffff

        """;

    [Theory]
    [InlineData("PF", false)]
    [InlineData("POCF", true)] // what the kernel prints after a registration with PFC (C implies O)
    [InlineData("", false)]
    public void The_C_flag_is_what_honours_set_uid(string flags, bool honours)
    {
        var entry = BinfmtEntry.Parse("qemu-aarch64", Aarch64(flags));

        Assert.Equal(honours, entry.HonoursSetuid);
        Assert.True(entry.Enabled);
        Assert.Equal("/usr/libexec/qemu-binfmt/aarch64-binfmt-P", entry.Interpreter);
        Assert.Equal(flags, entry.Flags);
    }

    [Fact]
    public void The_registration_line_escapes_every_magic_byte_and_adds_C()
    {
        var entry = BinfmtEntry.Parse("qemu-aarch64", Aarch64("PF"));

        Assert.Equal("PFC", entry.FlagsWithSetuid);
        Assert.Equal(@":qemu-aarch64:M:0:\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:" +
            @"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:PFC",
            entry.Registration(entry.FlagsWithSetuid));
        Assert.Equal("POCF", BinfmtEntry.Parse("qemu-aarch64", Aarch64("POCF")).FlagsWithSetuid);
    }

    [Fact]
    public void An_entry_matched_by_extension_has_no_registration_line_and_a_broken_file_is_an_error()
    {
        var byExtension = BinfmtEntry.Parse("jar", "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n");
        Assert.Null(byExtension.Registration("C"));

        Assert.Throws<FormatException>(() => BinfmtEntry.Parse("qemu-aarch64", "-1"));
        Assert.Throws<FormatException>(() => BinfmtEntry.Parse("qemu-aarch64", "enabled\nflags: PF\n"));
    }
}
