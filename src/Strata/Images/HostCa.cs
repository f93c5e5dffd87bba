namespace Strata.Images;

/// <summary>
/// Whether the host's locally added CA certificates are trusted inside builds. Behind a
/// TLS-inspecting proxy, https from a build (npm, curl) fails without them.
/// </summary>
public enum HostCaMode
{
    /// <summary>Use them when the host has any (the default): harmless where there are none.</summary>
    Auto,
    /// <summary>Require them: fail when the host has none.</summary>
    On,
    /// <summary>Never put host certificates into an image.</summary>
    Off,
}

public static class HostCa
{
    public const string DefaultDirectory = "/usr/local/share/ca-certificates";

    /// <summary>The context folder the Dockerfile copies the certificates from (always present, maybe empty).</summary>
    public const string ContextDirectory = ".strata/host-ca";

    public static HostCaMode Parse(string value) => value.ToLowerInvariant() switch
    {
        "auto" => HostCaMode.Auto,
        "on" or "true" or "yes" => HostCaMode.On,
        "off" or "false" or "no" => HostCaMode.Off,
        _ => throw new ArgumentException($"--host-ca must be auto, on or off, not '{value}'."),
    };

    /// <summary>The certificate files (*.crt) to trust, sorted; empty when off.</summary>
    public static IReadOnlyList<string> Find(HostCaMode mode, string directory = DefaultDirectory)
    {
        if (mode == HostCaMode.Off) return [];
        var files = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.crt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : [];
        if (mode == HostCaMode.On && files.Count == 0)
            throw new ArgumentException(
                $"--host-ca=on, but {directory} holds no *.crt certificate. Add the proxy's CA there (and run update-ca-certificates), or use --host-ca=auto.");
        return files;
    }
}
