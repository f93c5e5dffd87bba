using Strata.Images;
using Strata.Tools;

namespace Strata.Pipeline;

/// <summary>
/// What every target of a run is told, as one typed value: read from the command line (and the environment)
/// by <see cref="From"/>, so the build script holds no defaults and no parsing of its own. Each verb's own
/// options are a type of their own, parsed from the same command line (<see cref="PruneVerbOptions"/>, ...:
/// <see cref="OptionNames.Verbs"/>).
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
    /// <summary>Which builder builds (--builder=auto|buildkit|classic); auto: BuildKit where a client here can drive it.</summary>
    public Engine.BuilderChoice Builder { get; init; } = Engine.BuilderChoice.Auto;
    /// <summary>Build every step of what is built again, ignoring the builder's cache (--no-cache).</summary>
    public bool NoCache { get; init; }
    /// <summary>Normalise every image built so the same key gives the same bytes (--reproducible; issue 31).</summary>
    public bool Reproducible { get; init; }
    /// <summary>Which machine may run the vault scenario (--vault-runtime=auto|container|vm|uml).</summary>
    public Smoke.VaultRuntime VaultRuntime { get; init; } = Smoke.VaultRuntime.Auto;
    /// <summary>Which platforms the run builds (--platform=native|all|OS/ARCH[,...]); null: the engine's own, a release every declared one.</summary>
    public Platforms.PlatformSelection? Platforms { get; init; }

    public string ArtifactsDirectory => Path.Combine(RepositoryRoot, "artifacts");
    public string ConfigPath => Path.Combine(RepositoryRoot, ConfigFile);
    public string ToolsPath => Path.Combine(RepositoryRoot, ToolsFile);
    public string LockPath => Path.Combine(RepositoryRoot, LockFile);
    public string PackagesPath => Path.Combine(RepositoryRoot, PackagesFile);

    /// <summary>The options every target reads (each verb's own are in its options type: <see cref="OptionNames.Verbs"/>).</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "config", "tools", "lock", "packages-lock", "apt-snapshot", "cache-dir", "mirror", "host-ca", "network", "skip-tools", "revision",
        "builder", "no-cache", "reproducible", "platform", "vault-runtime", "registry", "registry-password-stdin",
    ];

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
        Func<string, string?> environment) => From(repositoryRoot, new CommandLine(arguments, environment));

    /// <summary>The run's options from <paramref name="commandLine"/> (each verb's are read by its options type).</summary>
    public static RunOptions From(string repositoryRoot, CommandLine commandLine)
    {
        var line = commandLine.Reading(Names);
        var mirror = line.Value("mirror") ?? line.Environment("STRATA_MIRROR");
        var registry = line.Value("registry") ?? line.Environment("STRATA_REGISTRY");
        return new RunOptions
        {
            RepositoryRoot = Path.GetFullPath(repositoryRoot),
            ConfigFile = line.Value("config") ?? "strata.yaml",
            ToolsFile = line.Value("tools") ?? Tools.ToolsFile.DefaultFileName,
            LockFile = line.Value("lock") ?? ToolLock.DefaultFileName,
            PackagesFile = line.Value("packages-lock") ?? Packages.PackageLock.DefaultFileName,
            AptSnapshot = line.NonEmpty("apt-snapshot") is { } snapshot ? ParseSnapshot(snapshot) : null,
            CacheDirectory = line.NonEmpty("cache-dir") is { } cache ? Path.GetFullPath(cache) : DefaultCacheDirectory(line.Environment),
            Mirror = string.IsNullOrEmpty(mirror) ? null : ParseMirror(mirror),
            HostCa = Images.HostCa.Parse(line.Value("host-ca") ?? "auto"),
            Network = line.NonEmpty("network"),
            SkipBinaryTools = line.Flag("skip-tools"),
            Revision = line.NonEmpty("revision"),
            Registry = string.IsNullOrEmpty(registry) ? null : ParseRegistry(registry),
            RegistryPasswordFromStdin = line.Flag("registry-password-stdin"),
            Builder = Engine.Builders.Parse(line.Value("builder") ?? "auto"),
            NoCache = line.Flag("no-cache"),
            Reproducible = line.Flag("reproducible"),
            VaultRuntime = ParseVaultRuntime(line.Value("vault-runtime") ?? "auto"),
            Platforms = line.NonEmpty("platform") is { } platform ? ParsePlatforms(platform) : null,
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
