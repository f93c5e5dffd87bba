using Strata.Oci;

namespace Strata.Platforms;

/// <summary>A platform the host cannot run: no emulator registered with binfmt_misc. The message carries the fix.</summary>
public sealed class EmulationMissingException(string message) : Exception(message);

/// <summary>
/// Whether this host can run another platform's programs: through QEMU's user-mode emulators registered with the kernel's
/// binfmt_misc (Debian: qemu-user-static and binfmt-support). Asked before any build, so a run never fails half-way
/// through a chain at its first RUN step.
/// </summary>
public static class Emulation
{
    public const string BinfmtDirectory = "/proc/sys/fs/binfmt_misc";

    /// <summary>QEMU's name of the architecture: the binfmt_misc entry is qemu-&lt;name&gt;.</summary>
    public static string QemuName(Platform platform) => platform.Architecture switch
    {
        "arm64" => "aarch64",
        "amd64" => "x86_64",
        "386" => "i386",
        var arch => arch,
    };

    /// <summary>Throws <see cref="EmulationMissingException"/> naming the fix when a platform other than <paramref name="native"/> cannot run here.</summary>
    public static void Require(IEnumerable<Platform> platforms, Platform native, string binfmtDirectory = BinfmtDirectory)
    {
        foreach (var platform in platforms.Where(p => p.Architecture != native.Architecture))
        {
            var qemu = "qemu-" + QemuName(platform);
            var entry = Path.Combine(binfmtDirectory, qemu);
            string? why = null;
            if (!File.Exists(Path.Combine(binfmtDirectory, "status")))
                why = $"binfmt_misc is not mounted at {binfmtDirectory}";
            else if (!File.Exists(entry))
                why = $"no {qemu} emulator is registered with binfmt_misc";
            else if (File.ReadLines(entry).FirstOrDefault()?.Trim() != "enabled")
                why = $"the {qemu} emulator is registered with binfmt_misc but disabled";
            if (why is not null)
                throw new EmulationMissingException(
                    $"{platform} is not this engine's platform ({native}) and cannot run here: {why}. Builds for it run under emulation; " +
                    $"as root: apt-get install qemu-user-static binfmt-support; " +
                    $"mount -t binfmt_misc binfmt_misc {binfmtDirectory} (when it is not mounted); update-binfmts --enable {qemu}. " +
                    $"Or build only the native platform (--platform=native), or build {platform} on a host of that platform.");
        }
    }
}
