using Strata.Oci;

namespace Strata.Platforms;

/// <summary>A platform the host cannot run, or cannot run set-uid programs of: no emulator registered with binfmt_misc, or one without the C flag. The message carries the fix.</summary>
public sealed class EmulationMissingException(string message) : Exception(message);

/// <summary>
/// Whether this host can run another platform's programs: through QEMU's user-mode emulators registered with the kernel's
/// binfmt_misc (Debian: qemu-user-static and binfmt-support), with the C flag so set-uid programs keep their privilege. Asked
/// before any build, so a run never fails half-way through a chain at its first RUN step, nor at a sudo check after it.
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

    /// <summary>
    /// Throws <see cref="EmulationMissingException"/> naming the fix when a platform other than <paramref name="native"/> cannot
    /// run here, or cannot run what its smoke tests need: set-uid programs (sudo) honoured, binfmt_misc's C flag. An emulator
    /// registered without C (Debian's default) is registered again with it where this process may (root on the host), and
    /// <paramref name="log"/> says so; elsewhere the run stops before any build with the command that does it.
    /// </summary>
    public static void Require(IEnumerable<Platform> platforms, Platform native, IBinfmtMisc binfmt, Action<string> log)
    {
        foreach (var platform in platforms.Where(p => p.Architecture != native.Architecture))
        {
            var qemu = "qemu-" + QemuName(platform);
            var entry = binfmt.Mounted ? binfmt.Find(qemu) : null;
            var why = !binfmt.Mounted ? $"binfmt_misc is not mounted at {binfmt.Directory}"
                : entry is null ? $"no {qemu} emulator is registered with binfmt_misc"
                : !entry.Enabled ? $"the {qemu} emulator is registered with binfmt_misc but disabled"
                : null;
            if (why is not null)
                throw new EmulationMissingException(
                    $"{platform} is not this engine's platform ({native}) and cannot run here: {why}. Builds for it run under emulation; " +
                    $"as root: apt-get install qemu-user-static binfmt-support; " +
                    $"mount -t binfmt_misc binfmt_misc {binfmt.Directory} (when it is not mounted); update-binfmts --enable {qemu} " +
                    $"(then run Strata as root once: it adds binfmt_misc's C flag, which set-uid programs such as sudo need). " +
                    $"Or build only the native platform (--platform=native), or build {platform} on a host of that platform.");
            if (!entry!.HonoursSetuid) RegisterWithSetuid(platform, entry, binfmt, log);
        }
    }

    private static void RegisterWithSetuid(Platform platform, BinfmtEntry entry, IBinfmtMisc binfmt, Action<string> log)
    {
        var flags = entry.FlagsWithSetuid;
        string? failed;
        try
        {
            binfmt.Reregister(entry, flags);
            failed = binfmt.Find(entry.Name) is { Enabled: true, HonoursSetuid: true } ? null : "the kernel did not keep the C flag";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Another run on this host may have registered it with C in between (its write then makes ours fail).
            failed = SafeFind(binfmt, entry.Name) is { Enabled: true, HonoursSetuid: true } ? null : e.Message;
        }
        if (failed is null)
        {
            log($"emulation: {entry.Name} was registered with binfmt_misc flags '{entry.Flags}', without C, so set-uid programs (sudo) " +
                $"of {platform} images ran without their privilege; registered it again with flags '{flags}' (until a reboot or update-binfmts registers it again)");
            return;
        }
        throw new EmulationMissingException(
            $"{platform} runs here under emulation, but {entry.Name} is registered with binfmt_misc flags '{entry.Flags}', without C: " +
            $"set-uid programs (sudo) of {platform} images run without their privilege, and smoke checks such as \"sudo needs no password\" " +
            $"would fail after the whole chain was built. Strata could not register it again with C ({failed}). " +
            $"As root on the host: {Command(entry, flags, binfmt.Directory)}");
    }

    private static BinfmtEntry? SafeFind(IBinfmtMisc binfmt, string name)
    {
        try { return binfmt.Find(name); }
        catch (Exception e) when (e is IOException or FormatException) { return null; }
    }

    /// <summary>The shell command that registers <paramref name="entry"/> again with <paramref name="flags"/>.</summary>
    public static string Command(BinfmtEntry entry, string flags, string directory) => entry.Registration(flags) is { } line
        ? $"echo -1 > {Path.Combine(directory, entry.Name)} && echo '{line}' > {Path.Combine(directory, "register")}"
        : $"update-binfmts --disable {entry.Name}, then register it with credentials (update-binfmts --install {entry.Name} ... --credentials yes)";
}
