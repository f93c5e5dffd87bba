using System.Runtime.InteropServices;

namespace Strata.Oci;

/// <summary>
/// A platform an image is built for, in the OCI image index's terms: <c>linux/amd64</c>,
/// <c>linux/arm64</c>, <c>linux/arm/v7</c>. The engine's names are normalised the way containerd
/// does (x86_64 is amd64, aarch64 is arm64, arm64/v8 is arm64), so two spellings of one platform are equal.
/// </summary>
public sealed record Platform
{
    public static readonly Platform LinuxAmd64 = new("linux", "amd64");
    public static readonly Platform LinuxArm64 = new("linux", "arm64");

    public Platform(string os, string architecture, string? variant = null)
    {
        Os = os.ToLowerInvariant();
        (Architecture, Variant) = Normalize(architecture.ToLowerInvariant(), variant?.ToLowerInvariant());
    }

    public string Os { get; }
    /// <summary>In Go's names, as image configs and indexes write them: amd64, arm64, arm, 386, ppc64le, s390x, riscv64.</summary>
    public string Architecture { get; }
    public string? Variant { get; }

    /// <summary>The platform this process runs on (the engine's, on a laptop or a CI runner with a local engine).</summary>
    public static Platform Host => new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        var other => other.ToString(),
    });

    /// <summary>Parses <c>OS/ARCH[/VARIANT]</c>, or throws a <see cref="FormatException"/> saying what is expected.</summary>
    public static Platform Parse(string text)
    {
        var parts = text.Trim().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
            throw new FormatException($"'{text}' is not a platform: give OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64.");
        if (parts[0].ToLowerInvariant() != "linux")
            throw new FormatException($"'{text}': Strata builds Linux images only (linux/amd64, linux/arm64).");
        if (!KnownArchitectures.Contains(Normalize(parts[1].ToLowerInvariant(), null).Architecture))
            throw new FormatException($"'{text}': unknown architecture '{parts[1]}'; give one of {string.Join(", ", KnownArchitectures)}.");
        return new Platform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    /// <summary>The architectures of Go's GOARCH that Linux images are published for.</summary>
    public static readonly IReadOnlyList<string> KnownArchitectures = ["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"];

    private static (string Architecture, string? Variant) Normalize(string architecture, string? variant) => architecture switch
    {
        "x86_64" or "x86-64" => ("amd64", null),
        "aarch64" or "arm64" => ("arm64", variant is "v8" ? null : variant),
        "armhf" => ("arm", "v7"),
        "i386" => ("386", null),
        _ => (architecture, variant),
    };

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
