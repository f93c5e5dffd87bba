namespace Strata.Vault.Platform;

/// <summary>Every piece the vault needs on this machine, each missing one named with its fix (as root).</summary>
internal static class LinuxPreflight
{
    public static IReadOnlyList<string> Run(LinuxSystem system)
    {
        var problems = new List<string>();
        foreach (var cmd in new[] { "cryptsetup", "losetup", "mkfs.ext4", "mount", "umount", "mknod", "dmsetup" })
            if (!OnPath(cmd)) problems.Add($"command '{cmd}' not found (install cryptsetup-bin, dmsetup, mount, e2fsprogs, util-linux)");
        if (problems.Count > 0) return problems;

        var capEff = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:"))?.Split('\t', ' ').Last() ?? "0";
        var caps = Convert.ToUInt64(capEff, 16);
        if ((caps >> 21 & 1) == 0) problems.Add("capability CAP_SYS_ADMIN is missing (needed for mount, losetup, dm-crypt): run the container with --privileged or --cap-add SYS_ADMIN");
        if ((caps >> 27 & 1) == 0 && !File.Exists("/dev/loop-control")) problems.Add("capability CAP_MKNOD is missing and /dev/loop-control does not exist");
        // mount: CAP_SYS_ADMIN is not enough under AppArmor/seccomp profiles, so try it.
        var probe = Directory.CreateTempSubdirectory("vault-preflight.").FullName;
        if (Tool.Run("mount", ["-t", "ramfs", "-o", "mode=0700", "vault-preflight", probe], quiet: true).ExitCode == 0) Tool.Run("umount", [probe]);
        else problems.Add("cannot mount a ramfs (CAP_SYS_ADMIN missing, or an AppArmor/seccomp profile denies mount: use --security-opt apparmor=unconfined --security-opt seccomp=unconfined)");
        try { Directory.Delete(probe); } catch (IOException) { }

        if (!Listed("/proc/devices", "loop")) Tool.Run("modprobe", ["loop"], quiet: true);
        if (!Listed("/proc/devices", "loop")) problems.Add("kernel has no loop device support (module loop)");
        else if (!LinuxSystem.EnsureLoopControl()) problems.Add("/dev/loop-control is missing and cannot be created (CAP_MKNOD?)");
        else if (!CanOpen("/dev/loop-control")) problems.Add("cannot open /dev/loop-control (c 10:237): the device cgroup denies it; add --device-cgroup-rule 'c 10:237 rmw' and --device-cgroup-rule 'b 7:* rmw'");
        else
        {
            var free = Tool.Run("losetup", ["-f"], quiet: true);
            var dev = free.ExitCode == 0 ? free.Output.Trim().Split(" ")[0] : "";   // ("/dev/loop0 (lost)": the name is the first word)
            if (dev.Length == 0) problems.Add("no free loop device (losetup -f failed)");
            else if (!LinuxSystem.EnsureLoopNode(dev) || !CanOpen(dev, write: false)) problems.Add($"cannot open loop device {dev}: the device cgroup denies block major 7; add --device-cgroup-rule 'b 7:* rmw'");
        }

        if (!Listed("/proc/misc", "device-mapper")) Tool.Run("modprobe", ["dm_mod"], quiet: true);
        if (!Listed("/proc/misc", "device-mapper")) problems.Add("kernel has no device-mapper (dm_mod not built in, not loadable): dm-crypt cannot work on this kernel");
        else if (!LinuxSystem.EnsureDmControl() || !CanOpen("/dev/mapper/control")) problems.Add("cannot open /dev/mapper/control: the device cgroup denies it; add --device-cgroup-rule 'c 10:* rmw'");
        else
        {
            Tool.Run("modprobe", ["dm_crypt"], quiet: true);
            var targets = Tool.Run("dmsetup", ["targets"], quiet: true).Output;
            if (!targets.Split('\n').Any(l => l.StartsWith("crypt ") || l.StartsWith("crypt\t")))
                problems.Add("kernel device-mapper has no 'crypt' target (module dm_crypt missing)");
        }
        _ = system;
        return problems;
    }

    private static bool OnPath(string cmd) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, cmd)));

    private static bool Listed(string file, string name)
    {
        try { return File.ReadLines(file).Any(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var n] && n == name); }
        catch (IOException) { return false; }
    }

    private static bool CanOpen(string path, bool write = true)
    {
        try { using var _ = new FileStream(path, FileMode.Open, write ? FileAccess.ReadWrite : FileAccess.Read); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
