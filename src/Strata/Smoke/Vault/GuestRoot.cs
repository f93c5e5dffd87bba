using System.Diagnostics;
using System.Text;
using Strata.Engine;
using Strata.IO;

namespace Strata.Smoke;

/// <summary>
/// The image's filesystem in a temp folder of the run: the root of a User-Mode Linux guest, or what a virtual machine's
/// root disk is made from. Where the engine keeps the image's layers as folders here and this process may mount, an
/// overlay mount puts the run's own writable folder over those layers (read-only to it): the filesystem is there in a
/// moment, and what the run writes stays in its folder. Otherwise the image is exported through the engine and unpacked
/// (10 to 25 s for the workstation's images, and as long again to remove). Disposing unmounts and removes the whole
/// folder (the runtimes put their own files in it too: the virtual machine's disk).
/// </summary>
internal sealed class GuestRoot : IAsyncDisposable
{
    /// <summary>The kernel takes a mount's options in one page: a longer list of layer folders is exported instead.</summary>
    private const int MaxMountOptions = 4000;

    private readonly VaultRunOutput _output;
    private bool _mounted;

    private GuestRoot(string folder, VaultRunOutput output)
    {
        Folder = folder;
        Path = Directory.CreateDirectory(System.IO.Path.Combine(folder, "root")).FullName;
        _output = output;
    }

    /// <summary>The run's temp folder (the virtual machine's disk goes there too).</summary>
    public string Folder { get; }
    /// <summary>The image's filesystem.</summary>
    public string Path { get; }
    /// <summary>The architecture of the image's programs, or null when /bin/sh is not an ELF program we know.</summary>
    public GuestArchitecture? Architecture { get; private set; }

    public static async Task<GuestRoot> PrepareAsync(IImageStore images, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        var folder = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetFullPath(run.TempRoot),
            "strata-vault-run." + System.IO.Path.GetRandomFileName())).FullName;
        var root = new GuestRoot(folder, output);
        try
        {
            var clock = Stopwatch.StartNew();
            if (await images.LayerFoldersAsync(run.ImageRef, ct) is { } layers && await root.TryMountAsync(layers, ct))
                return root.Ready($"mounted {run.ImageRef}'s {layers.Count} layers (the engine's, read-only) under the run's own writable folder at {root.Path}", clock);
            output.Note($"exporting {run.ImageRef} into {root.Path}");
            await images.ExportImageAsync(run.ImageRef, (tar, token) => UntarAsync(tar, root.Path, token), ct);
            return root.Ready("exported", clock);
        }
        catch
        {
            await root.DisposeAsync();
            throw;
        }
    }

    /// <summary>The filesystem is in place: what its programs are built for, said with how it got there and how long it took.</summary>
    private GuestRoot Ready(string how, Stopwatch clock)
    {
        Architecture = GuestArchitecture.OfProgram(Path, "/bin/sh");
        _output.Note($"{how} in {clock.Elapsed.TotalSeconds:0.0} s; its programs are {Architecture?.ToString() ?? "of an unknown architecture"}");
        return this;
    }

    /// <summary>
    /// An overlay mount of the image's layers with FOLDER/upper on top; false (with the reason noted) where the kernel or
    /// this process's rights refuse it, and the image is then exported instead.
    /// </summary>
    private async Task<bool> TryMountAsync(IReadOnlyList<string> layers, CancellationToken ct)
    {
        var upper = Directory.CreateDirectory(System.IO.Path.Combine(Folder, "upper")).FullName;
        var work = Directory.CreateDirectory(System.IO.Path.Combine(Folder, "work")).FullName;
        var options = $"lowerdir={string.Join(':', layers)},upperdir={upper},workdir={work}";
        if (options.Length > MaxMountOptions || layers.Any(l => l.Contains(',') || l.Contains(':')))
        {
            _output.Note($"the image's {layers.Count} layer folders do not fit one overlay mount: exporting it instead");
            return false;
        }
        var errors = new StringBuilder();
        var exit = await ChildProcess.RunAsync("mount", ["-t", "overlay", "overlay", "-o", options, Path], null, line => errors.AppendLine(line), ct);
        if (exit != 0)
        {
            _output.Note($"could not mount the image's layers (mount exit {exit}: {errors.ToString().Trim()}): exporting it instead");
            return false;
        }
        _mounted = true;
        return true;
    }
    /// <summary>A filesystem already unpacked into FOLDER/root (a test's own small root).</summary>
    internal static GuestRoot Unpacked(string folder, VaultRunOutput output)
    {
        var root = new GuestRoot(folder, output);
        root.Architecture = GuestArchitecture.OfProgram(root.Path, "/bin/sh");
        return root;
    }

    /// <summary>tar keeps what the vault depends on: owners (numeric), modes, setuid bits, links and device nodes.</summary>
    private static async Task UntarAsync(Stream tar, string root, CancellationToken ct)
    {
        var errors = new StringBuilder();
        var exitCode = await ChildProcess.RunAsync("tar", ["-C", root, "-xpf", "-", "--numeric-owner"], null, line => errors.AppendLine(line), ct,
            writeStdin: (stdin, token) => tar.CopyToAsync(stdin, token));
        if (exitCode != 0)
            throw new EngineException($"unpacking the image for the vault's machine failed (tar exit {exitCode}): {errors.ToString().Trim()}");
    }

    /// <summary>
    /// Unmounts, then removes the folder; the root holds root-owned files and links: removed without following a link or
    /// leaving the file system (a mount that would not go is never removed through: the engine's layers are beneath it).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var clock = Stopwatch.StartNew();
        var errors = new StringBuilder();
        // Never cancelled: the mount and the folder go whatever ended the run. A busy mount (a process the run left behind)
        // is detached: it goes when that process does.
        if (_mounted && await ChildProcess.RunAsync("umount", [Path], null, line => errors.AppendLine(line), CancellationToken.None) != 0)
            await ChildProcess.RunAsync("umount", ["--lazy", Path], null, line => errors.AppendLine(line), CancellationToken.None);
        await ChildProcess.RunAsync("rm", ["-rf", "--one-file-system", Folder], null, line => errors.AppendLine(line), CancellationToken.None);
        if (Directory.Exists(Folder)) _output.Note($"could not remove {Folder}; remove it by hand: {errors.ToString().Trim()}");
        else _output.Note($"removed the run's temp folder in {clock.Elapsed.TotalSeconds:0.0} s");
    }
}

/// <summary>A guest's CPU architecture, in Debian's words (the kernel package's suffix).</summary>
internal sealed record GuestArchitecture(string Debian)
{
    public static readonly GuestArchitecture Amd64 = new("amd64");
    public static readonly GuestArchitecture Arm64 = new("arm64");

    /// <summary>The host's, or null on a host this runtime does not know.</summary>
    public static GuestArchitecture? Host => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => Amd64,
        System.Runtime.InteropServices.Architecture.Arm64 => Arm64,
        _ => null,
    };

    public override string ToString() => Debian;

    /// <summary>
    /// What a program inside <paramref name="root"/> is built for (its ELF header's machine field): what the
    /// guest will run, whatever the image's config claims (docker import labels every image amd64).
    /// Links are followed inside the root, never out of it.
    /// </summary>
    public static GuestArchitecture? OfProgram(string root, string path)
    {
        var file = ResolveInside(root, path);
        if (file is null) return null;
        var header = new byte[20];
        try
        {
            using var stream = File.OpenRead(file);
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length) return null;
        }
        catch (IOException)
        {
            return null;
        }
        if (header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F' || header[5] != 1) return null;
        return BitConverter.ToUInt16(header, 18) switch // e_machine, little-endian (EI_DATA 1)
        {
            0x3e => Amd64,
            0xb7 => Arm64,
            _ => null,
        };
    }

    /// <summary>The host path of <paramref name="path"/> as the guest sees it: absolute links restart at the root.</summary>
    private static string? ResolveInside(string root, string path)
    {
        var parts = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = new List<string>();
        for (var hops = 0; parts.Count > 0;)
        {
            var part = parts.Dequeue();
            if (part == ".") continue;
            if (part == "..") { if (current.Count > 0) current.RemoveAt(current.Count - 1); continue; }
            var candidate = System.IO.Path.Combine([root, .. current, part]);
            var info = new FileInfo(candidate);
            if (info.LinkTarget is { } target)
            {
                if (++hops > 40) return null;
                if (target.StartsWith('/')) current.Clear();
                foreach (var p in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) parts = new Queue<string>(parts.Prepend(p));
                continue;
            }
            if (!info.Exists && !Directory.Exists(candidate)) return null;
            current.Add(part);
        }
        return System.IO.Path.Combine([root, .. current]);
    }
}
