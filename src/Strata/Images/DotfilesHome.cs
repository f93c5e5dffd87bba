using System.Text.RegularExpressions;
using Strata.Engine;
using Strata.Keys;
using Strata.Oci;

namespace Strata.Images;

/// <summary>
/// The home folder as `dotfiles-apply ~/.dotfiles` (GNU Stow, --no-folding) leaves it, prepared on
/// the host: the dotfiles in ~/.dotfiles, a relative link per file (package `scripts` into
/// ~/.local/bin, every other package into ~), the folders the links need, the locked ~/secrets
/// (0500), and plain files the links replace kept in ~/.dotfiles-backup. The thin layer COPYs it in
/// one step, so no container runs and a dotfile edit costs a copy.
/// </summary>
public static partial class DotfilesHome
{
    /// <summary>Where the home tree sits in the published stage's build context.</summary>
    public const string ContextDirectory = ".strata/home";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserExecute;
    private const UnixFileMode Folder = (UnixFileMode)0b111_101_101;

    /// <summary>One entry of the home, relative to it: a file (from the repository), a link, or a plain file kept from the parent.</summary>
    public sealed record Layout(IReadOnlyList<InputFile> Files, IReadOnlyList<(string Path, string Target)> Links,
        IReadOnlyList<ContextDirectory> Directories);

    /// <summary>The links' paths relative to the home: where a plain file in the parent image is in the way.</summary>
    public static IReadOnlyList<string> LinkPaths(IReadOnlyList<InputFile> dotfiles, IReadOnlyList<string> inputs) =>
        Plan(dotfiles, inputs).Links.Select(l => l.Path).ToList();

    /// <summary>
    /// The home tree for <paramref name="dotfiles"/> (repository files under the layer's <paramref name="inputs"/>,
    /// whose sub-folders are the Stow packages); every context path is under <see cref="ContextDirectory"/>.
    /// </summary>
    public static Layout Plan(IReadOnlyList<InputFile> dotfiles, IReadOnlyList<string> inputs)
    {
        var files = new List<InputFile>();
        var links = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in dotfiles)
        {
            // "dotfiles/bash/.bashrc": input "dotfiles", package "bash", path in the package ".bashrc".
            var input = inputs.Select(i => i.Trim('/')).FirstOrDefault(i => file.ContextPath.StartsWith(i + "/", StringComparison.Ordinal));
            if (input is null) continue;
            var inDotfiles = file.ContextPath[(input.Length + 1)..];
            files.Add(file with { ContextPath = $"{ContextDirectory}/.dotfiles/{inDotfiles}" });

            var slash = inDotfiles.IndexOf('/');
            if (slash < 0) continue; // a file beside the packages (README.md) is not stowed
            var package = inDotfiles[..slash];
            var inPackage = inDotfiles[(slash + 1)..];
            if (StowIgnores(inPackage)) continue;
            var link = package == "scripts" ? ".local/bin/" + inPackage : inPackage;
            var depth = link.Count(c => c == '/');
            links[link] = string.Concat(Enumerable.Repeat("../", depth)) + ".dotfiles/" + inDotfiles;
        }

        var directories = new SortedDictionary<string, UnixFileMode>(StringComparer.Ordinal)
        {
            [""] = (UnixFileMode)0b111_000_000, // the home itself stays private
            ["secrets"] = Private,              // the vault's mount point: read-only and empty while locked
            [".local"] = Folder,
            [".local/bin"] = Folder,
        };
        foreach (var path in files.Select(f => f.ContextPath[(ContextDirectory.Length + 1)..]).Concat(links.Keys))
            for (var dir = Parent(path); dir.Length > 0; dir = Parent(dir))
                directories.TryAdd(dir, Folder);
        return new Layout(files, links.Select(l => (l.Key, l.Value)).ToList(),
            directories.Select(d => new ContextDirectory(Join(d.Key), d.Value)).ToList());
    }

    /// <summary>The context entries: the layout, its links, and the parent's plain files in the way under ~/.dotfiles-backup.</summary>
    public static (IReadOnlyList<InputFile> Files, IReadOnlyList<ContextDirectory> Directories) Entries(
        Layout layout, IReadOnlyList<(string Path, string SourcePath, bool Executable)> backups)
    {
        var files = layout.Files.ToList();
        files.AddRange(layout.Links.Select(l => new InputFile(Join(l.Path), "", false, l.Target)));
        var directories = layout.Directories.ToList();
        var known = directories.Select(d => d.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var (path, source, executable) in backups)
        {
            var inBackup = ".dotfiles-backup/" + path;
            files.Add(new InputFile(Join(inBackup), source, executable, null));
            for (var dir = Parent(inBackup); dir.Length > 0; dir = Parent(dir))
                if (known.Add(Join(dir))) directories.Add(new ContextDirectory(Join(dir), Folder));
        }
        return (files, directories);
    }

    /// <summary>
    /// The published stage's context: its files as declared and the home tree, with the plain files of the
    /// parent image that the links replace (read through the engine, nothing run) kept as backups.
    /// The home is /home/$USERNAME, as in the dotfiles Dockerfile.
    /// </summary>
    /// <param name="cacheDirectory">Where what is in the way is remembered per parent key (an image of a key never
    /// changes), so the engine is asked once per core and link set; null: asked every time.</param>
    public static async Task<(IReadOnlyList<InputFile> Files, IReadOnlyList<ContextDirectory> Directories)> ContextAsync(
        IImageStore images, Stage stage, IReadOnlyList<string> inputs, ImageReference parentImage, string staging, string? cacheDirectory,
        CancellationToken ct)
    {
        var inDotfiles = stage.Files.Where(f => inputs.Any(i => f.ContextPath.StartsWith(i.Trim('/') + "/", StringComparison.Ordinal))).ToList();
        var layout = Plan(inDotfiles, inputs);
        var home = "/home/" + stage.BuildArgs.GetValueOrDefault("USERNAME", "dev");
        var paths = layout.Links.Select(l => $"{home}/{l.Path}").ToList();
        var inTheWay = await InTheWayAsync(images, parentImage, stage.ParentKey, paths, cacheDirectory, ct);
        var backups = new List<(string, string, bool)>();
        foreach (var file in inTheWay)
        {
            var path = Path.Combine(staging, "backup-" + backups.Count);
            await File.WriteAllBytesAsync(path, file.Content, ct);
            backups.Add((file.Path[(home.Length + 1)..], path, (file.Mode & UnixFileMode.UserExecute) != 0));
        }
        var (files, directories) = Entries(layout, backups);
        // The declared inputs stay too, for a dotfiles Dockerfile that copies them itself.
        return ([.. stage.Files, .. files], directories);
    }

    private static async Task<IReadOnlyList<ImageFile>> InTheWayAsync(IImageStore images, ImageReference image, string? imageKey,
        IReadOnlyList<string> paths, string? cacheDirectory, CancellationToken ct)
    {
        if (cacheDirectory is null || imageKey is null) return await images.ReadFilesAsync(image, paths, ct);
        using var key = new KeyBuilder().Add("image", imageKey).AddMap("path", paths.ToDictionary(p => p, _ => ""));
        var file = Path.Combine(cacheDirectory, "home-in-the-way", key.Finish() + ".json");
        if (File.Exists(file))
            return System.Text.Json.JsonSerializer.Deserialize<List<ImageFile>>(await File.ReadAllTextAsync(file, ct)) ?? [];
        var found = await images.ReadFilesAsync(image, paths, ct);
        IO.AtomicFile.Write(file, stream => System.Text.Json.JsonSerializer.Serialize(stream, found));
        return found;
    }

    private static string Join(string inHome) => inHome.Length == 0 ? ContextDirectory : $"{ContextDirectory}/{inHome}";

    private static string Parent(string path) => path.LastIndexOf('/') is var i and > 0 ? path[..i] : "";

    /// <summary>GNU Stow's default ignore list: version-control and editor files anywhere, README/LICENSE/COPYING at a package's top.</summary>
    internal static bool StowIgnores(string inPackage) =>
        inPackage.Split('/').Any(segment => StowIgnoredName().IsMatch(segment)) || StowIgnoredAtTop().IsMatch(inPackage);

    [GeneratedRegex(@"^(RCS|.+,v|CVS|\.#.+|\.cvsignore|\.svn|_darcs|\.hg|\.git|\.gitignore|\.gitmodules|.+~|#.*#)$")]
    private static partial Regex StowIgnoredName();

    [GeneratedRegex(@"^(README.*|LICENSE.*|COPYING)$")]
    private static partial Regex StowIgnoredAtTop();
}
