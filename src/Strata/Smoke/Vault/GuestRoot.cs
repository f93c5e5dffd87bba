using System.Diagnostics;
using System.Text;
using Strata.Engine;
using Strata.IO;

namespace Strata.Smoke;

/// <summary>
/// The image's filesystem, exported through the engine into a temp folder of the run: the root of a
/// User-Mode Linux guest, or what a virtual machine's root disk is made from. Disposing removes the
/// whole folder (the runtimes put their own temp files in it too, through TMPDIR).
/// </summary>
internal sealed class GuestRoot : IAsyncDisposable
{
    private readonly VaultRunOutput _output;

    private GuestRoot(string folder, VaultRunOutput output)
    {
        Folder = folder;
        Path = Directory.CreateDirectory(System.IO.Path.Combine(folder, "root")).FullName;
        _output = output;
    }

    /// <summary>The run's temp folder (TMPDIR of the runtime scripts).</summary>
    public string Folder { get; }
    /// <summary>The unpacked filesystem.</summary>
    public string Path { get; }
    /// <summary>The architecture of the image's programs, or null when /bin/sh is not an ELF program we know.</summary>
    public GuestArchitecture? Architecture { get; private set; }

    public static async Task<GuestRoot> ExportAsync(IImageStore images, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        var folder = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetFullPath(run.TempRoot),
            "strata-vault-run." + System.IO.Path.GetRandomFileName())).FullName;
        var root = new GuestRoot(folder, output);
        try
        {
            var clock = Stopwatch.StartNew();
            output.Note($"exporting {run.ImageRef} into {root.Path}");
            await images.ExportImageAsync(run.ImageRef, (tar, token) => UntarAsync(tar, root.Path, token), ct);
            root.Architecture = GuestArchitecture.OfProgram(root.Path, "/bin/sh");
            output.Note($"exported in {clock.Elapsed.TotalSeconds:0.0} s; its programs are {root.Architecture?.ToString() ?? "of an unknown architecture"}");
            return root;
        }
        catch
        {
            await root.DisposeAsync();
            throw;
        }
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

    /// <summary>The root holds root-owned files and links: removed without following a link or leaving the file system.</summary>
    public async ValueTask DisposeAsync()
    {
        var clock = Stopwatch.StartNew();
        var errors = new StringBuilder();
        // Never cancelled: the folder goes whatever ended the run.
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
