using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using Strata.Oci;
using Strata.Yaml;

namespace Strata.Graph;

/// <summary>Reads strata.yaml and validates it into an <see cref="ImageGraph"/>.</summary>
public static partial class GraphLoader
{
    public const string DefaultFileName = "strata.yaml";

    /// <summary>Loads the graph; the repository root is the folder holding the file.</summary>
    public static ImageGraph Load(string configPath)
    {
        var full = Path.GetFullPath(configPath);
        var doc = StrictYaml.Load(full);
        return Build(doc, full, Path.GetDirectoryName(full)!);
    }

    public static ImageGraph Parse(string yaml, string rootDirectory, string fileName = DefaultFileName)
    {
        var doc = StrictYaml.Parse(yaml, fileName);
        return Build(doc, Path.Combine(rootDirectory, fileName), Path.GetFullPath(rootDirectory));
    }

    private static ImageGraph Build(StrictYaml doc, string configPath, string root)
    {
        var top = doc.Mapping(doc.Root, "the top level",
            "repository", "source", "platforms", "base_os", "apt", "exclude", "args", "dotfiles", "images");

        var repositoryName = doc.RequiredString(top, "repository", "the top level");
        // Parsed as the docker client would (a repository: no tag, no digest); the registry host comes from --registry.
        if (!ImageRepository.TryParse(repositoryName, out var repository))
            throw doc.Error(StrictYaml.Child(top, "repository")!,
                $"repository '{repositoryName}' is not a valid image repository name (lower case letters, digits, '.', '_', '-' and '/').");

        var baseOs = ReadBaseOs(doc, StrictYaml.Child(top, "base_os")
            ?? throw doc.Error(top, "the top level has no 'base_os'; add the pinned OS image and its debootstrap fallback."));
        var aptSources = ReadAptSources(doc, top, baseOs);
        var sharedArgs = doc.StringMap(top, "args", "the top level");
        var platforms = ReadPlatforms(doc, top, "the top level") ?? [Platform.LinuxAmd64];
        var exclude = doc.StringList(top, "exclude", "the top level");

        LayerSpec? dotfiles = null;
        if (StrictYaml.Child(top, "dotfiles") is { } dotNode)
        {
            var map = doc.Mapping(dotNode, "dotfiles", "dockerfile", "inputs", "args");
            dotfiles = ReadLayer(doc, map, "dotfiles", sharedArgs, root);
        }

        if (StrictYaml.Child(top, "images") is not YamlSequenceNode imageNodes || imageNodes.Children.Count == 0)
            throw doc.Error(top, "'images' must be a non-empty list of images.");

        var declared = new List<ImageSpec>();
        foreach (var node in imageNodes.Children)
        {
            var map = doc.Mapping(node, "an image entry", "name", "parent", "dockerfile", "inputs", "args", "host_ca", "devcontainer", "platforms", "size_budget");
            var name = doc.RequiredString(map, "name", "an image entry");
            var where = $"image '{name}'";
            if (!ImageName().IsMatch(name))
                throw doc.Error(node, $"{where}: the name must be lower case letters, digits, '.', '_' or '-' (it becomes an image tag).");
            if (declared.Any(d => d.Name == name))
                throw doc.Error(node, $"{where} is declared twice; image names must be unique.");
            declared.Add(new ImageSpec(
                name,
                doc.OptionalString(map, "parent", where),
                ReadLayer(doc, map, where, sharedArgs, root),
                doc.OptionalBool(map, "host_ca", where, fallback: false),
                (int)node.Start.Line)
            {
                Devcontainer = StrictYaml.Child(map, "devcontainer") is { } dev ? ReadDevcontainer(doc, dev, where) : null,
                Platforms = ReadPlatforms(doc, map, where) ?? platforms,
                SizeBudget = doc.OptionalString(map, "size_budget", where) is { } budget
                    ? ByteSize.TryParse(budget, out var size) ? size
                        : throw doc.Error(StrictYaml.Child(map, "size_budget")!,
                            $"{where}: size_budget '{budget}' is not a size; write e.g. \"1.5GB\", \"800MB\" or \"2GiB\".")
                    : null,
            });
        }

        var ordered = InBuildOrder(declared, doc.FileName);
        CheckNarrowing(ordered, platforms, doc.FileName);
        return new ImageGraph(root, configPath, repository, doc.OptionalString(top, "source", "the top level"),
            baseOs, dotfiles, exclude, ordered) { Platforms = platforms, AptSources = aptSources };
    }

    /// <summary>A list of OS/ARCH platforms (null when the key is absent); a malformed or repeated one is an error at its line.</summary>
    private static IReadOnlyList<Platform>? ReadPlatforms(StrictYaml doc, YamlMappingNode map, string where)
    {
        if (StrictYaml.Child(map, "platforms") is not { } node) return null;
        if (node is not YamlSequenceNode list || list.Children.Count == 0)
            throw doc.Error(node, $"'platforms' in {where} must be a non-empty list, e.g. [linux/amd64, linux/arm64].");
        var platforms = new List<Platform>();
        foreach (var item in list.Children)
        {
            if (item is not YamlScalarNode { Value: { } text })
                throw doc.Error(item, $"every entry of 'platforms' in {where} must be a single OS/ARCH value.");
            Platform platform;
            try
            {
                platform = Platform.Parse(text);
            }
            catch (FormatException e)
            {
                throw doc.Error(item, $"{where}: {e.Message}");
            }
            if (platforms.Contains(platform)) throw doc.Error(item, $"{where}: platform {platform} is listed twice.");
            platforms.Add(platform);
        }
        return platforms;
    }

    /// <summary>An image may narrow its parent's platforms, never widen them: it is built on its parent of the same platform.</summary>
    private static void CheckNarrowing(IReadOnlyList<ImageSpec> images, IReadOnlyList<Platform> chain, string fileName)
    {
        var byName = images.ToDictionary(i => i.Name);
        foreach (var image in images)
        {
            var (above, what) = image.Parent is { } parent ? (byName[parent].Platforms, $"its parent '{parent}'") : (chain, "the chain");
            if (image.Platforms.FirstOrDefault(p => !above.Contains(p)) is { } extra)
                throw new StrataConfigException(
                    $"{fileName}: line {image.Line}: image '{image.Name}' declares {extra}, which {what} is not built for " +
                    $"({string.Join(", ", above)}); an image may only narrow the platforms above it.");
        }
    }

    /// <summary>
    /// Where locked installs take packages from: <c>apt: { sources: ["deb URL SUITE COMPONENT...", ...] }</c>. Absent: the
    /// debootstrap mirror's suite and its -updates, and the security archive beside the mirror (…/debian-security).
    /// </summary>
    private static IReadOnlyList<string> ReadAptSources(StrictYaml doc, YamlMappingNode top, BaseOsSpec baseOs)
    {
        if (StrictYaml.Child(top, "apt") is not { } node)
        {
            var (mirror, suite) = (baseOs.Debootstrap.Mirror.TrimEnd('/'), baseOs.Debootstrap.Suite);
            return [$"deb {mirror} {suite} main", $"deb {mirror} {suite}-updates main", $"deb {mirror}-security {suite}-security main"];
        }
        var map = doc.Mapping(node, "apt", "sources");
        var sources = doc.StringList(map, "sources", "apt");
        if (sources.Count == 0) throw doc.Error(map, "apt.sources must list at least one source, e.g. \"deb http://deb.debian.org/debian trixie main\".");
        foreach (var source in sources)
            if (!AptSource().IsMatch(source))
                throw doc.Error(map, $"apt.sources: '{source}' is not a one-line apt source: write \"deb [options] URL SUITE COMPONENT...\" (or \"deb URL ./\" for a flat archive).");
        return sources;
    }

    [GeneratedRegex(@"^deb (\[[^\]]*\] )?(https?|file)://\S+ \S+( \S+)*$")]
    private static partial Regex AptSource();

    private static BaseOsSpec ReadBaseOs(StrictYaml doc, YamlNode node)
    {
        var map = doc.Mapping(node, "base_os", "image", "debootstrap");
        var text = doc.RequiredString(map, "image", "base_os");
        if (!ImageReference.TryParse(text, out var image) || image.Digest is null)
            throw doc.Error(map, $"base_os.image '{text}' is not pinned by digest; write it as name:tag@sha256:<digest>.");
        var deb = doc.Mapping(StrictYaml.Child(map, "debootstrap")
                ?? throw doc.Error(map, "base_os has no 'debootstrap' fallback; add suite, variant and mirror."),
            "base_os.debootstrap", "suite", "variant", "mirror");
        return new BaseOsSpec(image, new DebootstrapSpec(
            doc.RequiredString(deb, "suite", "base_os.debootstrap"),
            doc.OptionalString(deb, "variant", "base_os.debootstrap") ?? "minbase",
            doc.RequiredString(deb, "mirror", "base_os.debootstrap")));
    }

    private static LayerSpec ReadLayer(StrictYaml doc, YamlMappingNode map, string where,
        IReadOnlyDictionary<string, string> sharedArgs, string root)
    {
        var dockerfile = doc.RequiredString(map, "dockerfile", where);
        var dockerfileNode = StrictYaml.Child(map, "dockerfile")!;
        CheckInsideRepository(doc, dockerfileNode, where, "dockerfile", dockerfile, root);
        if (!File.Exists(Path.Combine(root, dockerfile)))
            throw doc.Error(dockerfileNode, $"{where}: Dockerfile '{dockerfile}' does not exist (relative to {root}).");

        var inputs = doc.StringList(map, "inputs", where);
        foreach (var input in inputs)
        {
            CheckInsideRepository(doc, map, where, "input", input, root);
            var full = Path.Combine(root, input);
            if (!File.Exists(full) && !Directory.Exists(full))
                throw doc.Error(StrictYaml.Child(map, "inputs")!, $"{where}: input '{input}' does not exist (relative to {root}).");
        }

        var args = new SortedDictionary<string, string>(sharedArgs.ToDictionary(), StringComparer.Ordinal);
        foreach (var (k, v) in doc.StringMap(map, "args", where)) args[k] = v;
        return new LayerSpec(Normalize(dockerfile), inputs.Select(Normalize).ToList(), args);
    }

    private static DevcontainerSpec ReadDevcontainer(StrictYaml doc, YamlNode node, string image)
    {
        var where = $"{image}: devcontainer";
        var map = doc.Mapping(node, where, "remote_user", "container_user", "init", "container_env", "mounts", "host_mounts", "vault_run_args");

        string? User(string key)
        {
            var user = doc.OptionalString(map, key, where);
            if (user is not null && !UserName().IsMatch(user))
                throw doc.Error(StrictYaml.Child(map, key)!, $"{where}: {key} '{user}' is not a user name (lower case letters, digits, '_' and '-').");
            return user;
        }

        var env = doc.StringMap(map, "container_env", where);
        foreach (var name in env.Keys.Where(n => !EnvName().IsMatch(n)))
            throw doc.Error(StrictYaml.Child(map, "container_env")!, $"{where}: container_env '{name}' is not a variable name (letters, digits and '_', not starting with a digit).");

        if (StrictYaml.Child(map, "mounts") is { } applied)
            throw doc.Error(applied, $"{where}: 'mounts' would put bind mounts into the image's label, and `devcontainer up` then fails " +
                "on every host without those folders (Docker refuses a missing bind source). Declare them as 'host_mounts' " +
                "(the example .devcontainer/devcontainer.json carries them, so users opt in).");
        var mounts = new List<HostMount>();
        if (StrictYaml.Child(map, "host_mounts") is { } mountsNode)
        {
            if (mountsNode is not YamlSequenceNode list)
                throw doc.Error(mountsNode, $"'host_mounts' in {where} must be a list of {{ source, target }} mappings.");
            foreach (var item in list.Children)
            {
                var m = doc.Mapping(item, $"a mount of {where}", "source", "target");
                var source = doc.RequiredString(m, "source", $"a mount of {where}");
                var target = doc.RequiredString(m, "target", $"a mount of {where}");
                if (!target.StartsWith('/'))
                    throw doc.Error(item, $"{where}: mount target '{target}' must be an absolute path in the container.");
                // The devcontainer mount string is comma-separated key=value pairs: a comma would split it.
                if (source.Contains(',') || target.Contains(','))
                    throw doc.Error(item, $"{where}: a mount's source and target must not contain ','.");
                if (mounts.Any(x => x.Target == target))
                    throw doc.Error(item, $"{where}: two mounts target '{target}'; keep one.");
                mounts.Add(new HostMount(source, target));
            }
        }

        var text = doc.OptionalString(map, "init", where);
        return new DevcontainerSpec(User("remote_user"), User("container_user"),
            text is null ? null : doc.OptionalBool(map, "init", where, fallback: false),
            env, mounts, doc.StringList(map, "vault_run_args", where));
    }

    private static void CheckInsideRepository(StrictYaml doc, YamlNode node, string where, string what, string path, string root)
    {
        var full = Path.GetFullPath(Path.Combine(root, path));
        var rootWithSlash = root.EndsWith('/') ? root : root + "/";
        if (Path.IsPathRooted(path) || !(full + "/").StartsWith(rootWithSlash, StringComparison.Ordinal))
            throw doc.Error(node, $"{where}: {what} '{path}' is outside the repository; use a path inside {root}.");
    }

    private static string Normalize(string path) => path.Replace('\\', '/').TrimEnd('/');

    /// <summary>Orders images parents first; rejects unknown parents and cycles.</summary>
    private static List<ImageSpec> InBuildOrder(List<ImageSpec> declared, string fileName)
    {
        var byName = declared.ToDictionary(i => i.Name);
        foreach (var image in declared.Where(i => i.Parent is not null && !byName.ContainsKey(i.Parent)))
            throw new StrataConfigException(
                $"{fileName}: line {image.Line}: image '{image.Name}': parent '{image.Parent}' is not defined. Known images: {string.Join(", ", byName.Keys)}.");

        var ordered = new List<ImageSpec>();
        var state = new Dictionary<string, bool>(); // false: on the current path, true: done
        foreach (var image in declared) Visit(image, []);
        return ordered;

        void Visit(ImageSpec image, List<string> path)
        {
            if (state.TryGetValue(image.Name, out var done))
            {
                if (done) return;
                var cycle = path.Skip(path.IndexOf(image.Name)).Append(image.Name);
                throw new StrataConfigException(
                    $"{fileName}: line {image.Line}: image '{image.Name}' is part of a parent cycle: {string.Join(" -> ", cycle)}. Every chain must end at an image without a parent.");
            }
            state[image.Name] = false;
            path.Add(image.Name);
            if (image.Parent is not null) Visit(byName[image.Parent], path);
            path.RemoveAt(path.Count - 1);
            state[image.Name] = true;
            ordered.Add(image);
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex UserName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,100}$")]
    private static partial Regex ImageName();
}
