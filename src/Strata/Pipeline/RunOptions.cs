using Strata.Images;
using Strata.Tools;

namespace Strata.Pipeline;

/// <summary>
/// Everything a run is told, as one typed value: read from the command line (and the environment)
/// by <see cref="FromArguments"/>, so the build script holds no defaults and no parsing of its own.
/// Names of paths, here and everywhere in Strata: <c>...File</c> is a file as the user gave it
/// (relative to <see cref="RepositoryRoot"/> unless absolute), <c>...Path</c> is the absolute path
/// on this machine, <c>...Directory</c> an absolute folder.
/// </summary>
public sealed record RunOptions
{
    public required string RepositoryRoot { get; init; }
    public string ConfigFile { get; init; } = "strata.yaml";
    public string ToolsFile { get; init; } = Tools.ToolsFile.DefaultFileName;
    public string LockFile { get; init; } = ToolLock.DefaultFileName;
    /// <summary>The package lock (--packages-lock): the Debian packages of every image, per platform.</summary>
    public string PackagesFile { get; init; } = Packages.PackageLock.DefaultFileName;
    /// <summary>Install the locked Debian packages from this snapshot archive (--apt-snapshot=URL, e.g. https://snapshot.debian.org).</summary>
    public Uri? AptSnapshot { get; init; }
    /// <summary>pin: only compare, and fail with the diff when a lock is stale (--check).</summary>
    public bool PinCheck { get; init; }
    /// <summary>pin: only this tool (--tool=NAME).</summary>
    public string? PinTool { get; init; }
    /// <summary>bump-pr: the repository to propose to (--repository=owner/name; null: GITHUB_REPOSITORY).</summary>
    public string? BumpRepository { get; init; }
    /// <summary>bump-pr: a workflow to start on the branch after a new commit (--dispatch=ci.yml).</summary>
    public string? BumpDispatch { get; init; }
    /// <summary>pin, bump-pr: the GitHub API (--github-api; null: GITHUB_API_URL, else api.github.com).</summary>
    public string? GitHubApi { get; init; }
    /// <summary>
    /// Verified downloads, GitHub ETags and smoke proofs: outside the checkout, so they survive clean clones. Required: its default
    /// comes from the environment, which only the process's edge reads (<see cref="FromArguments"/>, given ScriptRun's environment).
    /// </summary>
    public required string CacheDirectory { get; init; }
    /// <summary>A download mirror (artifact proxy, air-gapped site): URLs become &lt;mirror&gt;/&lt;host&gt;/&lt;path&gt;.</summary>
    public Uri? Mirror { get; init; }
    public HostCaMode HostCa { get; init; } = HostCaMode.Auto;
    /// <summary>Network for RUN steps: null for the engine's default.</summary>
    public string? Network { get; init; }
    /// <summary>Leave the GitHub-released binaries out of every image (no GitHub, no mirror, cold cache).</summary>
    public bool SkipBinaryTools { get; init; }
    /// <summary>The commit for the revision label; null: the checkout's HEAD, read when an image is built.</summary>
    public string? Revision { get; init; }
    /// <summary>The registry shared as a cache and published to (--registry or STRATA_REGISTRY); null: the local engine only.</summary>
    public Registry.RegistryLocation? Registry { get; init; }
    /// <summary>Read the registry password from stdin (with STRATA_REGISTRY_USER), so it is in no argv and no environment.</summary>
    public bool RegistryPasswordFromStdin { get; init; }
    /// <summary>The version a release also tags (&lt;image&gt;-&lt;version&gt;): --release-tag, or the v* git tag GitHub Actions runs for.</summary>
    public string? ReleaseTag { get; init; }
    /// <summary>Which builder builds (--builder=auto|buildkit|classic); auto: BuildKit where a client here can drive it.</summary>
    public Engine.BuilderChoice Builder { get; init; } = Engine.BuilderChoice.Auto;
    /// <summary>Build every step of what is built again, ignoring the builder's cache (--no-cache).</summary>
    public bool NoCache { get; init; }
    /// <summary>Normalise every image built so the same key gives the same bytes (--reproducible; issue 31).</summary>
    public bool Reproducible { get; init; }
    /// <summary>verify: build the chain again here, cold, and compare it with the registry's images (--rebuild; issue 31).</summary>
    public bool Rebuild { get; init; }
    /// <summary>prune: how many earlier plans' images stay (--keep=N).</summary>
    public int Keep { get; init; } = 2;
    /// <summary>prune: list what would go and the space it holds, remove nothing (--dry-run).</summary>
    public bool DryRun { get; init; }
    /// <summary>Which machine may run the vault scenario (--vault-runtime=auto|container|vm|uml).</summary>
    public Smoke.VaultRuntime VaultRuntime { get; init; } = Smoke.VaultRuntime.Auto;
    /// <summary>vault-scenario: the image whose vault is proved (--image, default base).</summary>
    public string? Image { get; init; }
    /// <summary>vault-scenario: only the checks whose name matches this extended regex, each with its set-up (--vault-checks).</summary>
    public string? VaultChecks { get; init; }
    /// <summary>vault-scenario: each selected check alone, from the machine's start state (--vault-checks-alone): the scenario's self-test.</summary>
    public bool VaultChecksAlone { get; init; }
    /// <summary>vault-scenario: a vault script run instead of the image's, inside the machine under test only (--vault-override).</summary>
    public string? VaultOverride { get; init; }
    /// <summary>vault-scenario: count the scenario's processes and sudo calls, under User-Mode Linux (--vault-bench).</summary>
    public bool VaultBench { get; init; }
    /// <summary>test: only the tests this dotnet test filter selects (--filter=EXPR; <c>Needs!=Engine</c> is the lane without an engine).</summary>
    public string? TestFilter { get; init; }
    /// <summary>Which platforms the run builds (--platform=native|all|OS/ARCH[,...]); null: the engine's own, a release every declared one.</summary>
    public Platforms.PlatformSelection? Platforms { get; init; }
    /// <summary>Options on the command line that nothing reads (typos): the script warns about them.</summary>
    public IReadOnlyList<string> UnknownOptions { get; init; } = [];

    public string ArtifactsDirectory => Path.Combine(RepositoryRoot, "artifacts");
    public string ConfigPath => Path.Combine(RepositoryRoot, ConfigFile);
    public string ToolsPath => Path.Combine(RepositoryRoot, ToolsFile);
    public string LockPath => Path.Combine(RepositoryRoot, LockFile);
    public string PackagesPath => Path.Combine(RepositoryRoot, PackagesFile);

    /// <summary>Every option Strata reads, and Cake's own, for the typo warning.</summary>
    public static readonly IReadOnlySet<string> KnownOptions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        // Strata's, for every target
        "target", "config", "tools", "lock", "packages-lock", "apt-snapshot", "cache-dir", "mirror", "host-ca", "network", "skip-tools", "revision", "builder", "no-cache", "reproducible", "rebuild", "platform",
        // prune
        "keep", "dry-run",
        // the vault scenario
        "vault-runtime", "image", "vault-checks", "vault-checks-alone", "vault-override", "vault-bench",
        // the registry and releases
        "registry", "registry-password-stdin", "release-tag",
        // test
        "filter",
        // pin, bump-pr
        "tool", "check", "github-api", "repository", "dispatch",
        // Cake's own
        "verbosity", "v", "tree", "showtree", "dryrun", "noop", "whatif", "exclusive", "e", "description", "showdescription",
        "debug", "d", "help", "h", "version", "ver", "info", "bootstrap", "skip-bootstrap", "invalidate-script-cache", "no-report",
    };

    /// <summary>XDG_CACHE_HOME/strata, or ~/.cache/strata.</summary>
    public static string DefaultCacheDirectory(Func<string, string?> environment) => Path.Combine(
        environment("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "strata");

    /// <summary>
    /// Reads the options of a run from the command line (<c>--name=value</c>, as Cake hands them over:
    /// name to values, a flag having one empty value) and the environment (STRATA_MIRROR). Bad values
    /// are an <see cref="OptionException"/> that names the option and what it takes.
    /// </summary>
    public static RunOptions FromArguments(string repositoryRoot, IDictionary<string, ICollection<string>> arguments,
        Func<string, string?> environment)
    {
        string? Value(string name) => arguments.TryGetValue(name, out var values) && values.Count > 0 ? values.Last() : null;
        bool Flag(string name) => arguments.ContainsKey(name) && Value(name) is null or "" or "true";

        var mirror = Value("mirror") ?? environment("STRATA_MIRROR");
        var registry = Value("registry") ?? environment("STRATA_REGISTRY");
        // GitHub Actions running for a pushed tag v1.2.3: GITHUB_REF_TYPE=tag, GITHUB_REF_NAME=v1.2.3.
        var releaseTag = Value("release-tag") ?? (environment("GITHUB_REF_TYPE") == "tag" && environment("GITHUB_REF_NAME") is { } tag &&
            tag.StartsWith('v') ? tag : null);
        return new RunOptions
        {
            RepositoryRoot = Path.GetFullPath(repositoryRoot),
            ConfigFile = Value("config") ?? "strata.yaml",
            ToolsFile = Value("tools") ?? Tools.ToolsFile.DefaultFileName,
            LockFile = Value("lock") ?? ToolLock.DefaultFileName,
            PackagesFile = Value("packages-lock") ?? Packages.PackageLock.DefaultFileName,
            AptSnapshot = Value("apt-snapshot") is { Length: > 0 } snapshot ? ParseSnapshot(snapshot) : null,
            PinCheck = Flag("check"),
            PinTool = Value("tool") is { Length: > 0 } tool ? tool : null,
            GitHubApi = Value("github-api") is { Length: > 0 } api ? api : null,
            BumpRepository = Value("repository") is { Length: > 0 } repository ? repository : null,
            BumpDispatch = Value("dispatch") is { Length: > 0 } dispatch ? dispatch : null,
            CacheDirectory = Value("cache-dir") is { Length: > 0 } cache ? Path.GetFullPath(cache) : DefaultCacheDirectory(environment),
            Mirror = string.IsNullOrEmpty(mirror) ? null : ParseMirror(mirror),
            HostCa = Images.HostCa.Parse(Value("host-ca") ?? "auto"),
            Network = Value("network") is { Length: > 0 } network ? network : null,
            SkipBinaryTools = Flag("skip-tools"),
            Revision = Value("revision") is { Length: > 0 } revision ? revision : null,
            Registry = string.IsNullOrEmpty(registry) ? null : ParseRegistry(registry),
            RegistryPasswordFromStdin = Flag("registry-password-stdin"),
            Builder = Engine.Builders.Parse(Value("builder") ?? "auto"),
            NoCache = Flag("no-cache"),
            Reproducible = Flag("reproducible"),
            Rebuild = Flag("rebuild"),
            Keep = Value("keep") is { Length: > 0 } keep
                ? int.TryParse(keep, out var n) && n >= 0 ? n : throw new OptionException($"--keep={keep}: give a number of earlier plans, 0 or more.")
                : 2,
            DryRun = Flag("dry-run"),
            VaultRuntime = ParseVaultRuntime(Value("vault-runtime") ?? "auto"),
            Image = Value("image") is { Length: > 0 } image ? image : null,
            VaultChecks = Value("vault-checks") is { Length: > 0 } checks ? checks : null,
            VaultChecksAlone = Flag("vault-checks-alone"),
            VaultOverride = Value("vault-override") is { Length: > 0 } vault ? Path.GetFullPath(vault) : null,
            VaultBench = Flag("vault-bench"),
            Platforms = Value("platform") is { Length: > 0 } platform ? ParsePlatforms(platform) : null,
            TestFilter = Value("filter") is { Length: > 0 } filter ? filter : null,
            ReleaseTag = string.IsNullOrEmpty(releaseTag) ? null : ValidTag(releaseTag),
            UnknownOptions = arguments.Keys.Where(k => !KnownOptions.Contains(k)).Order(StringComparer.Ordinal).ToList(),
        };
    }

    private static Smoke.VaultRuntime ParseVaultRuntime(string value) => value.ToLowerInvariant() switch
    {
        "auto" => Smoke.VaultRuntime.Auto,
        "container" => Smoke.VaultRuntime.Container,
        "vm" => Smoke.VaultRuntime.Vm,
        "uml" => Smoke.VaultRuntime.Uml,
        _ => throw new OptionException(
            $"--vault-runtime={value}: give auto (what works here, fastest first: a container, a KVM virtual machine, User-Mode Linux, " +
            "an emulated virtual machine), container, vm (QEMU: KVM, else emulation) or uml."),
    };

    private static Platforms.PlatformSelection ParsePlatforms(string value)
    {
        try
        {
            return Strata.Platforms.PlatformSelection.Parse(value);
        }
        catch (FormatException e)
        {
            throw new OptionException(e.Message);
        }
    }

    private static Registry.RegistryLocation ParseRegistry(string value)
    {
        try
        {
            return Strata.Registry.RegistryLocation.Parse(value);
        }
        catch (FormatException e)
        {
            throw new OptionException(e.Message);
        }
    }

    private static string ValidTag(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value, "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$")
            ? value
            : throw new OptionException($"--release-tag '{value}' is not a valid image tag part (letters, digits, '_', '.', '-').");

    private static Uri ParseSnapshot(string value) =>
        Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new OptionException(
                $"--apt-snapshot '{value}' is not an absolute http(s) URL; give the snapshot archive's root, e.g. https://snapshot.debian.org.");

    private static Uri ParseMirror(string value) =>
        Uri.TryCreate(value.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "file"
            ? uri
            : throw new OptionException(
                $"--mirror (or STRATA_MIRROR) '{value}' is not an absolute http(s) or file URL; give one like https://artifacts.example.com/strata.");
}
