namespace Strata.Platforms;

/// <summary>
/// One emulator registered with the kernel's binfmt_misc, as its file there reads
/// (<c>enabled</c>, <c>interpreter PATH</c>, <c>flags: PF</c>, <c>offset N</c>, <c>magic HEX</c>, <c>mask HEX</c>).
/// </summary>
/// <param name="Magic">Hex, as the kernel prints it; null for an entry matched by file name extension.</param>
public sealed record BinfmtEntry(string Name, bool Enabled, string Interpreter, string Flags, int Offset, string? Magic, string? Mask)
{
    /// <summary>
    /// The C flag: the kernel computes an emulated program's credentials from the program, not from the emulator, so a
    /// set-uid program (sudo, su, passwd) runs with its privilege. Debian registers qemu-user-static without it
    /// (<c>credentials no</c>), and sudo in a foreign image then says "effective uid is not 0".
    /// </summary>
    public bool HonoursSetuid => Flags.Contains('C');

    /// <summary>Reads the entry's file; throws <see cref="FormatException"/> when it is not one.</summary>
    public static BinfmtEntry Parse(string name, string text)
    {
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] is not ("enabled" or "disabled"))
            throw new FormatException($"binfmt_misc entry {name} does not start with enabled or disabled: '{lines.FirstOrDefault()}'");
        string? Field(string key) => lines.Skip(1).Select(l => l.Split(' ', 2)).FirstOrDefault(p => p[0] == key) is { } p
            ? (p.Length > 1 ? p[1].Trim() : "")
            : null;
        return new BinfmtEntry(name, lines[0] == "enabled",
            Field("interpreter") ?? throw new FormatException($"binfmt_misc entry {name} names no interpreter"),
            Field("flags:") ?? "",
            int.TryParse(Field("offset"), out var offset) ? offset : 0,
            Field("magic"), Field("mask"));
    }

    /// <summary>
    /// The line that registers this entry again through binfmt_misc's register file, with <paramref name="flags"/>
    /// (<c>:name:M:offset:magic:mask:interpreter:flags</c>, magic and mask as \x escapes, which also keeps a ':' byte out
    /// of the field separators); null for an entry matched by extension (update-binfmts re-registers those).
    /// </summary>
    public string? Registration(string flags) => Magic is null
        ? null
        : $":{Name}:M:{Offset}:{Escaped(Magic)}:{(Mask is null ? "" : Escaped(Mask))}:{Interpreter}:{flags}";

    /// <summary>The flags with C added (O, which C implies and the kernel prints, is left to the kernel).</summary>
    public string FlagsWithSetuid => HonoursSetuid ? Flags : Flags.Replace("O", "") + "C";

    private static string Escaped(string hex) =>
        string.Concat(Enumerable.Range(0, hex.Length / 2).Select(i => "\\x" + hex.Substring(i * 2, 2)));
}
