using Strata.Vault.Names;
using Strata.Vault.Root;
using Strata.Vault.Secrets;

namespace Strata.Vault.Platform;

/// <summary>The privileged steps on a real kernel, as root: the tools of cryptsetup-bin, mount, util-linux, e2fsprogs.</summary>
public sealed class LinuxSystem(VaultNames names) : LinuxInspector(names), IPrivilegedSystem
{
    // Pinned crypto. The ciphertext only ever exists in RAM, but a header read from a memory dump must still be
    // expensive to attack: argon2id with 64 MiB and 4 passes (one thread: fixed cost, no benchmark; it fits a
    // small container and the 512 MiB test machine). Not configurable downwards.
    private static readonly string[] LuksFormat =
    [
        "luksFormat", "--batch-mode", "--type", "luks2", "--cipher", "aes-xts-plain64", "--key-size", "512", "--hash", "sha256",
        "--pbkdf", "argon2id", "--pbkdf-memory", "65536", "--pbkdf-force-iterations", "4", "--pbkdf-parallel", "1",
        "--label", "strata-vault", "--key-file=-",
    ];

    private string Mount => Names.MountPoint;

    public long AvailableMemory()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return long.MaxValue;   // an old kernel without the field: no basis to refuse
    }

    public IReadOnlyList<string> Preflight() => LinuxPreflight.Run(this);

    public void CachePreflight()
    {
        var boot = ReadLine("/proc/sys/kernel/random/boot_id");
        File.WriteAllText(Names.PreflightFile + ".tmp", $"{boot} {Names.MountNamespace}");
        File.Move(Names.PreflightFile + ".tmp", Names.PreflightFile, overwrite: true);
        File.SetUnixFileMode(Names.PreflightFile, (UnixFileMode)0b110_100_100);
    }

    public void ForgetPreflight() => File.Delete(Names.PreflightFile);

    public IDisposable? TryLock() => FileLock.TryTake(Names.LockFile);

    public void MountRamFolder()
    {
        Directory.CreateDirectory(Names.RamFolder);
        // ramfs: never swapped to disk (tmpfs is, unless mounted noswap on kernels >= 6.4).
        Tool.Must("mounting the RAM folder", "mount", "-t", "ramfs", "-o", "mode=0711,nosuid,nodev,noexec", "strata-vault", Names.RamFolder);
    }

    public void CreateImage(long bytes)
    {
        using var image = new FileStream(Names.Image, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        image.SetLength(bytes);   // sparse: RAM is taken as the vault fills
    }

    public void FormatLuks(Secret passphrase)
    {
        var r = Tool.Run("cryptsetup", [.. LuksFormat, Names.Image], passphrase);
        if (r.ExitCode != 0) throw new VaultException("cryptsetup luksFormat failed");
    }

    public OpenResult OpenLuks(Secret passphrase)
    {
        EnsureDmControl();
        EnsureFreeLoopNode();
        // cryptsetup attaches the loop device itself, with autoclear: it goes when the mapping goes.
        var r = Tool.Run("cryptsetup", ["open", "--type", "luks2", "--key-file=-", Names.Image, Names.Mapping], passphrase);
        return r.ExitCode switch { 0 => OpenResult.Opened, 2 => OpenResult.WrongPassphrase, _ => OpenResult.Failed };
    }

    public void MakeFilesystem() =>
        Tool.Must("mkfs.ext4", "mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", "-L", "secrets",
                  "-E", $"root_owner={Names.User.Uid}:{Names.User.Gid},nodiscard", Names.MappingPath);

    public void MarkImageComplete() => File.WriteAllText(Names.ImageCompleteMarker, "");

    public void EnsureMountPoint()
    {
        if (Directory.Exists(Mount)) return;
        Directory.CreateDirectory(Mount);
        Own(Mount);
    }

    public void MountPlaceholder()
    {
        try { File.SetUnixFileMode(Mount, UnixFileMode.UserRead | UnixFileMode.UserExecute); } catch (IOException) { }
        Tool.Must("mounting the read-only placeholder", "mount", "-t", "tmpfs", "-o",
                  $"ro,nosuid,nodev,noexec,size=4k,mode=0500,uid={Names.User.Uid},gid={Names.User.Gid}", VaultNames.Placeholder, Mount);
    }

    public void MountVault()
    {
        Tool.Must("mount", "mount", "-t", "ext4", "-o", "nosuid,nodev,noatime", Names.MappingPath, Mount);
        Own(Mount);
        File.SetUnixFileMode(Mount, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void MarkDeferredRemoval() =>
        Tool.Must($"marking {Names.Mapping} for deferred removal", "cryptsetup", "close", "--deferred", Names.Mapping);

    public void WriteOpener(string nonce) => File.WriteAllText(Names.OpenerFile, nonce + "\n");

    public bool DeferredRemovalPending() =>
        MappingDirectory() is not null && Tool.Run("dmsetup", ["info", Names.Mapping], quiet: true).Output.Contains("DEFERRED REMOVE");

    public int? OpenCount()
    {
        var r = Tool.Run("dmsetup", ["info", "-c", "--noheadings", "-o", "open", Names.Mapping], quiet: true);
        return r.ExitCode == 0 && int.TryParse(r.Output.Trim(), out var n) ? n : null;
    }

    public bool AutoclearLoopsPresent() =>
        Loops().Any(l => ReadLine($"/sys/block/{Path.GetFileName(l)}/loop/autoclear") == "1");

    public IReadOnlyList<string> OurLoops()
    {
        if (FileIdentity.Of(Names.Image) is not { } image) return [];
        var ours = new List<string>();
        foreach (var loop in Loops())
        {
            EnsureLoopNode(loop);
            var r = Tool.Run("losetup", ["-n", "-O", "BACK-MAJ:MIN,BACK-INO", "-l", loop], quiet: true);
            if (r.ExitCode == 0 && string.Join(' ', r.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Trim() == image) ours.Add(loop);
        }
        return ours;
    }

    public bool ImageIsLuks() => Tool.Run("cryptsetup", ["isLuks", Names.Image], quiet: true).ExitCode == 0;

    public string? ReadOpener() => ReadLine(Names.OpenerFile);

    public IReadOnlyList<string> ProcessesUsingMountPoint()
    {
        var found = new List<string>();
        foreach (var p in Directories("/proc", ""))
        {
            var pid = Path.GetFileName(p);
            if (!pid.All(char.IsAsciiDigit)) continue;
            IEnumerable<string> links;
            try { links = Directory.GetFileSystemEntries(p + "/fd").Prepend(p + "/cwd"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var link in links)
            {
                string? target;
                try { target = new FileInfo(link).LinkTarget; } catch (IOException) { continue; }
                if (target != Mount && target?.StartsWith(Mount + "/", StringComparison.Ordinal) != true) continue;
                var cmd = (ReadLine(p + "/cmdline") ?? "").Replace('\0', ' ').Trim();
                found.Add($"pid {pid} ({(cmd.Length > 60 ? cmd[..60] : cmd)})");
                break;
            }
        }
        return found;
    }

    public bool UnmountVault() => Tool.Run("umount", [Mount], quiet: true).ExitCode == 0;

    public void CloseMapping()
    {
        EnsureDmControl();
        if (Tool.Run("cryptsetup", ["close", Names.Mapping], quiet: true).ExitCode != 0)
            Tool.Run("dmsetup", ["remove", Names.Mapping], quiet: true);
    }

    public bool DetachLoop(string device) => Tool.Run("losetup", ["-d", device]).ExitCode == 0;

    public void WipeKeyslots() => Tool.Run("cryptsetup", ["erase", "--batch-mode", Names.Image], quiet: true);

    public void RemoveImage()
    {
        File.Delete(Names.ImageCompleteMarker);
        File.Delete(Names.Image);
    }

    public void UnmountRamFolder() => Tool.Must("unmounting the RAM folder", "umount", Names.RamFolder);

    public void RemoveRamFolder()
    {
        if (Directory.Exists(Names.RamFolder)) Directory.Delete(Names.RamFolder);
    }

    public void RemoveOpener() => File.Delete(Names.OpenerFile);

    private void Own(string path)
    {
        if (LibcFiles.chown(path, (uint)Names.User.Uid, (uint)Names.User.Gid) != 0)
            throw new VaultException($"cannot give {path} to {Names.User.Name}");
    }

    // Containers lack new device nodes: create the ones cryptsetup and losetup need.
    internal static bool EnsureDmControl()
    {
        var minor = File.ReadLines("/proc/misc").Select(l => l.Trim().Split(' ')).FirstOrDefault(f => f.Length == 2 && f[1] == "device-mapper")?[0];
        return minor is not null && EnsureNode("/dev/mapper/control", 'c', "10", minor);
    }

    internal static bool EnsureLoopControl() => EnsureNode("/dev/loop-control", 'c', "10", "237");

    internal static bool EnsureFreeLoopNode()
    {
        EnsureLoopControl();
        var r = Tool.Run("losetup", ["-f"], quiet: true);
        return r.ExitCode == 0 && EnsureLoopNode(r.Output.Trim().Split(' ')[0]);
    }

    internal static bool EnsureLoopNode(string device)
    {
        if (File.Exists(device)) return true;
        var n = Path.GetFileName(device);
        var mm = ReadLine($"/sys/block/{n}/dev") ?? $"7:{n[4..]}";
        return EnsureNode(device, 'b', mm.Split(':')[0], mm.Split(':')[1]);
    }

    private static bool EnsureNode(string path, char type, string major, string minor)
    {
        if (File.Exists(path)) return true;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return Tool.Run("mknod", ["-m", "0660", path, type.ToString(), major, minor], quiet: true).ExitCode == 0;
    }
}
