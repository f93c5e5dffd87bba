using Strata.Downloads;
using Strata.BaseOs;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Oci;
using Strata.Packages;
using Strata.Platforms;
using Strata.Registry;
using Strata.Reporting;
using Strata.Smoke;
using Strata.Supply;
using Strata.Tools;

namespace Strata.Pipeline;

/// <summary>
/// The composition root of a run: it wires the services (the engine, the registry, the smoke runner, the proofs and,
/// per platform, a <see cref="PlatformRun"/>: the plan, the chain builder, the stage sources, the build and prove
/// commands) and runs one command per verb (<see cref="PlanAsync"/>, <see cref="BuildAsync"/>, <see cref="ReleaseAsync"/>,
/// <see cref="PruneAsync"/>, <see cref="VaultScenarioAsync"/>, ...), which make every decision. It decides nothing itself.
/// The per-platform verbs run for each platform of <see cref="PlatformsAsync"/> in turn; there is no "first platform".
/// Nothing is read when it is created: strata.yaml, tools.yaml and the lock are loaded by the first
/// command that needs them, so a target that needs none of them (pin) runs with a broken config; the engine is first
/// asked (its platform) by the first command that needs a plan. It reads no console and no environment:
/// <see cref="ProcessInputs"/> are given.
/// </summary>
public sealed class ImagePipeline : IDisposable
{
    private readonly Action<string> _log;
    private readonly bool _ownsEngine;
    private readonly Lazy<ImageGraph> _graph;
    private readonly Lazy<PlanOptions> _planOptions;
    private readonly ProcessInputs _inputs;
    private readonly Dictionary<Platform, PlatformRun> _runs = [];
    private readonly Dictionary<Platform, BuildPlan> _plans = [];
    private readonly Lazy<AssetCache> _assets;
    private readonly RegistryLogin _login;
    private readonly IRegistry? _givenRegistry;
    private readonly ISmokeRunner? _givenSmoke;
    private Platform? _native;
    private IRegistry? _registry;
    private bool _registryMade;
    private SmokeRunner? _smokeSuite;
    private bool _emulationChecked;

    /// <param name="engine">null: the real engine (disposed with the pipeline).</param>
    /// <param name="inputs">What the run may read from its process (the environment, stdin's registry password); null: nothing.</param>
    /// <param name="registry">null: the real registry client for --registry.</param>
    /// <param name="smoke">null: the smoke suite on the engine.</param>
    public ImagePipeline(RunOptions options, Action<string> log, IEngine? engine = null, ProcessInputs? inputs = null,
        IRegistry? registry = null, ISmokeRunner? smoke = null)
    {
        Options = options;
        _log = log;
        _inputs = inputs ?? ProcessInputs.None;
        _givenRegistry = registry;
        _givenSmoke = smoke;
        Engine = engine ?? new DockerEngine(options.Builder);
        _ownsEngine = engine is null;
        Record = new RunRecord(() => Graph);
        Proofs = new SmokeProof(Path.Combine(options.CacheDirectory, "proofs"));
        _graph = new(() =>
        {
            var graph = GraphLoader.Load(options.ConfigPath);
            Targets.CheckImageNames(graph);
            return graph;
        });
        _planOptions = new(() => new PlanOptions
        {
            HostCa = options.HostCa,
            // A repository without the default tools.yaml pins no tools; a file named on the command line must exist.
            Tools = File.Exists(options.ToolsPath) || options.ToolsFile != ToolsFile.DefaultFileName
                ? ToolsFile.Load(options.ToolsPath)
                : new ToolSet(options.ToolsPath, []),
            Lock = ToolLock.Load(options.LockPath, missingIsEmpty: true),
            Packages = PackageLock.Load(options.PackagesPath),
            AptSnapshot = options.AptSnapshot,
            SkipBinaryTools = options.SkipBinaryTools,
            Repository = options.Registry?.Reference(Graph.Repository),
            Vault = VaultProgram.Find(Graph.RootDirectory),
        });
        _assets = new(() => new AssetCache(Path.Combine(options.CacheDirectory, "assets"), options.Mirror, log: log));
        _login = new RegistryLogin(ct => options.Registry is { } location
            ? RegistryCredentials.FindAsync(location.Host, _inputs.Environment,
                options.RegistryPasswordFromStdin ? _inputs.ReadRegistryPassword() : null, ct)
            : Task.FromResult<RegistryCredentials?>(null));
        // Written only when an image was built or reused: its plan was made, so the engine's platform is known.
        Reports = new RunReports(Record, () => Graph.Platforms.Select(p => PlanOf(p, _native
            ?? throw new InvalidOperationException("the reports need the plans, and no plan was made"))).ToList(),
            options.ArtifactsDirectory, options.CacheDirectory);
    }

    public RunOptions Options { get; }
    public IEngine Engine { get; }
    public SmokeProof Proofs { get; }
    /// <summary>What this run built, reused and smoke-tested.</summary>
    public RunRecord Record { get; }
    /// <summary>The end-of-run reports: written and summarised explicitly by the script's Teardown.</summary>
    public RunReports Reports { get; }
    public ImageGraph Graph => _graph.Value;
    public PlanOptions PlanOptions => _planOptions.Value;
    /// <summary>Where binfmt_misc is (tests give a stand-in): emulation of a foreign platform is checked there before any build.</summary>
    public string BinfmtDirectory { get; init; } = Emulation.BinfmtDirectory;

    /// <summary>The base OS image of each platform, made on the engine when missing (the chain builder and the package pin use it).</summary>
    private BaseOsProvider BaseOs => _baseOs ??= new BaseOsProvider(Engine.Images, NativeAsync, _log);
    private BaseOsProvider? _baseOs;

    /// <summary>What runs a vault scenario (tests give a stand-in that needs no machine); null: <see cref="VaultMachine.RunAsync"/>.</summary>
    internal Func<IImageStore, IContainerRuntime, VaultRun, Action<string>, CancellationToken, Task<ScenarioOutput>>? RunVault { get; init; }

    /// <summary>The engine's own platform: what --platform=native builds, and whose images get the plain local moving tags.</summary>
    public async Task<Platform> NativeAsync(CancellationToken ct = default) => _native ??= (await Engine.VersionAsync(ct)).Platform;

    /// <summary>The platforms this run builds (--platform; default the engine's own), in strata.yaml's order.</summary>
    public async Task<IReadOnlyList<Platform>> PlatformsAsync(CancellationToken ct = default) =>
        (Options.Platforms ?? new PlatformSelection.Native()).Resolve(Graph.Platforms, await NativeAsync(ct), Options.ConfigFile);

    /// <summary>The platforms a release builds and proves (--platform; default every declared one).</summary>
    public async Task<IReadOnlyList<Platform>> ReleasePlatformsAsync(CancellationToken ct = default) =>
        (Options.Platforms ?? new PlatformSelection.All()).Resolve(Graph.Platforms, await NativeAsync(ct), Options.ConfigFile);

    /// <summary>The runs of the platforms this run builds (<see cref="PlatformsAsync"/>), in order.</summary>
    public async Task<IReadOnlyList<PlatformRun>> RunsAsync(CancellationToken ct = default) => await ForAsync(await PlatformsAsync(ct), ct);

    private async Task<IReadOnlyList<PlatformRun>> ForAsync(IEnumerable<Platform> platforms, CancellationToken ct)
    {
        var runs = new List<PlatformRun>();
        foreach (var platform in platforms) runs.Add(await ForAsync(platform, ct));
        return runs;
    }

    /// <summary>One platform's plan: a pure function of strata.yaml, the locks and the engine's platform.</summary>
    private BuildPlan PlanOf(Platform platform, Platform native)
    {
        if (!_plans.TryGetValue(platform, out var plan))
            _plans[platform] = plan = BuildPlanner.Plan(Graph, PlanOptions with { Platform = platform, Native = native });
        return plan;
    }

    /// <summary>The registry client for --registry (null without one), made when first needed.</summary>
    private async Task<IRegistry?> RegistryAsync(CancellationToken ct)
    {
        if (_registryMade) return _registry;
        // Key tags name one platform's image; an index (a moving tag) is read for the engine's platform.
        _registry = _givenRegistry ?? (Options.Registry is { } location
            ? new RegistryClient(location, _login, new RegistryClientOptions { Architecture = (await NativeAsync(ct)).Architecture })
            : null);
        _registryMade = true;
        return _registry;
    }

    /// <summary>The run's services for one platform, made when first asked for.</summary>
    public async Task<PlatformRun> ForAsync(Platform platform, CancellationToken ct = default)
    {
        if (_runs.TryGetValue(platform, out var run)) return run;
        var plan = PlanOf(platform, await NativeAsync(ct));
        var registry = await RegistryAsync(ct);
        var smoke = _givenSmoke ?? await SmokeSuiteAsync(ct);
        var cache = Options.NoCache ? null : new CacheSources(Engine.Images, registry, _login, Graph.Repository,
            PlanHistory.For(Options.CacheDirectory, Graph.Repository), _log);
        var builder = new ChainBuilder(Engine.Images, Engine.Builds, BaseOs, BuildOptionsWith(Options.NoCache, cache, Options.Reproducible), _log);
        var sources = new StageSources(plan, builder, Engine.Images, registry, _login, Graph.Repository, _log)
        {
            Upload = Reproducible.ReproducibleBuilds.UploadFor(Options.Reproducible, registry, Engine.Archives, _log),
        };
        var build = new BuildCommand(plan, builder, sources, Record, Reasons, Engine.Images, _log);
        var prove = new ProveCommand(plan, smoke, Proofs, sources, builder, Record, Engine.Images, _log);
        return _runs[platform] = new PlatformRun(platform, plan, builder, sources, build, prove) { Cache = cache };
    }

    /// <summary>The smoke suite's settings for this run: vault proofs are kept in the cache, beside the smoke proofs, and in the registry when one is configured.</summary>
    private async Task<SmokeOptions> SmokeOptionsAsync(CancellationToken ct) => new()
    {
        Images = Engine.Images, Containers = Engine.Containers, VaultProofDirectory = Path.Combine(Options.CacheDirectory, "vault-proofs"), VaultRuntime = Options.VaultRuntime,
        VaultProofRegistry = await RegistryAsync(ct) is { } registry ? new RegistryVaultProofs(registry, Graph.Repository) : null,
        RunVault = RunVault ?? VaultMachine.RunAsync,
    };

    private async Task<SmokeRunner> SmokeSuiteAsync(CancellationToken ct) =>
        _smokeSuite ??= new SmokeRunner(Graph, SmokeTools(), PlanOptions.Lock, await SmokeOptionsAsync(ct), _log);

    /// <summary>plan: per platform of the run, each image's key and whether it would be built or reused; writes artifacts/plan.json and plan.mmd.</summary>
    public async Task<IReadOnlyList<PlannedImage>> PlanAsync(CancellationToken ct = default) =>
        await new PlanCommand(await RunsAsync(ct), Reasons, Options.ArtifactsDirectory, _log) { VaultProofs = await VaultProofOrderAsync(ct) }.RunAsync(ct);

    /// <summary>For the plan: which images run the vault scenario, and where a proof of their vault is looked up before it runs.</summary>
    private async Task<string?> VaultProofOrderAsync(CancellationToken ct)
    {
        var options = await SmokeOptionsAsync(ct);
        var vault = Graph.Images.Where(i => SmokeSpecLoader.Resolve(Graph, i.Name, options.SpecDirectory).Vault).Select(i => i.Name).ToList();
        if (vault.Count == 0) return null;
        IVaultProofStore[] stores = [new LocalVaultProofs(options.VaultProofDirectory!), .. options.VaultProofRegistry is { } r ? new[] { r } : []];
        return $"Vault scenario ({string.Join(", ", vault)}): a proof of the image's vault fingerprint is looked up in {new VaultProofs(stores).Order} runs";
    }

    /// <summary>Why each image is built: against this repository's plan history as it was before this run recorded its plan.</summary>
    public BuildReasons Reasons => _reasons ??= new BuildReasons(PlanHistory.For(Options.CacheDirectory, Graph.Repository));
    private BuildReasons? _reasons;

    /// <summary>Builds the image (ancestors must exist) for every platform of the run that strata.yaml builds it for.</summary>
    public async Task BuildAsync(string image, CancellationToken ct = default)
    {
        foreach (var run in await RunsForAsync(image, ct)) await run.Build.RunAsync(image, ct);
    }

    /// <summary>Proves the image and moves its local moving tag, for every platform of the run that has it.</summary>
    public async Task ProveAndPromoteAsync(string image, CancellationToken ct = default)
    {
        foreach (var run in await RunsForAsync(image, ct)) await run.Prove.ProveAndPromoteAsync(image, ct);
    }

    private async Task<IEnumerable<PlatformRun>> RunsForAsync(string image, CancellationToken ct)
    {
        var platforms = await PlatformsAsync(ct);
        await RequireEmulationAsync(platforms, ct);
        return (await ForAsync(platforms, ct)).Where(r => r.Plan.Contains(image));
    }

    /// <summary>Before any build: every foreign platform must be runnable here (binfmt_misc and QEMU, set-uid honoured), or the run stops with the fix.</summary>
    private async Task RequireEmulationAsync(IReadOnlyList<Platform> platforms, CancellationToken ct)
    {
        if (_emulationChecked) return;
        Emulation.Require(platforms, await NativeAsync(ct), new KernelBinfmtMisc(BinfmtDirectory), _log);
        _emulationChecked = true;
    }

    /// <summary>
    /// pin: the tools through the GitHub releases API (not with --skip-tools: no GitHub here), then, unless --tool names one
    /// tool, the packages (<see cref="PinPackagesAsync"/>) against the tool lock just written. --check writes nothing and
    /// fails with the diff when either lock is stale.
    /// </summary>
    public async Task PinAsync(PinVerbOptions pin, CancellationToken ct = default)
    {
        if (Options.SkipBinaryTools && pin.Tool is not null)
            throw new OptionException($"--tool={pin.Tool} pins a tool through GitHub, which --skip-tools leaves out: drop one of them.");
        if (!Options.SkipBinaryTools)
            await PinCommand.RunAsync(new PinCommandOptions
            {
                ToolsPath = Options.ToolsPath,
                LockPath = Options.LockPath,
                Tool = pin.Tool,
                Check = pin.Check,
                GitHubApi = pin.GitHubApi,
                CacheDirectory = Options.CacheDirectory,
                Mirror = Options.Mirror,
            }, _log, ct);
        else
            _log("--skip-tools: the tools stay as tools.lock.json pins them; pinning the packages only.");
        if (pin.Tool is null) await PinPackagesAsync(pin, ct);
    }

    /// <summary>
    /// pin, for packages: every declared platform's Debian packages (--platform narrows) and the npm trees, resolved
    /// against the tool lock on disk (so after the tools' pin); with --check only compared, failing with the diff.
    /// </summary>
    /// <param name="pin">null: pin's defaults (write the lock).</param>
    public async Task<PackagePinResult> PinPackagesAsync(PinVerbOptions? pin = null, CancellationToken ct = default)
    {
        var check = pin?.Check ?? false;
        var platforms = await ReleasePlatformsAsync(ct);
        await RequireEmulationAsync(platforms, ct);
        var result = await new PackagePinner(Engine.Containers, BaseOs, _log).PinAsync(Graph, PlanOptions.Tools, ToolLock.Load(Options.LockPath, missingIsEmpty: true),
            PackageLock.Load(Options.PackagesPath), platforms, Options.Network, write: !check, Options.PackagesPath, ct);
        if (!result.Changed)
            _log($"{Options.PackagesFile} is up to date ({string.Join(", ", platforms)}).");
        else
        {
            _log(result.Diff().TrimEnd('\n'));
            if (check)
                throw new StrataConfigException($"{Options.PackagesFile} is stale (diff above): run ./build.sh --target=pin and commit the result.");
            _log($"wrote {Options.PackagesFile}{(result.NpmChanged.Count > 0 ? " and the npm locks" : "")}.");
        }
        return result;
    }

    /// <summary>
    /// bump-pr: pins the tools against the default branch's lock and the packages of this checkout (every declared
    /// platform, with the changelogs of the new versions) against the new tool lock, and proposes both as one pull request.
    /// The package locks are written in this checkout (the nightly job's clean checkout of the default branch).
    /// </summary>
    public Task<Bumps.BumpResult> BumpAsync(BumpPrVerbOptions bump, CancellationToken ct = default) =>
        Bumps.BumpCommand.RunAsync(new Bumps.BumpCommandOptions
        {
            Repository = bump.Repository,
            ToolsPath = Options.ToolsPath,
            ConfigPath = Options.ConfigPath,
            LockFile = Options.LockFile,
            GitHubApi = bump.GitHubApi,
            CacheDirectory = Options.CacheDirectory,
            Mirror = Options.Mirror,
            DispatchWorkflow = bump.Dispatch,
        }, _log, ct, async (toolLock, token) =>
        {
            await RequireEmulationAsync(Graph.Platforms, token);
            var result = await new PackagePinner(Engine.Containers, BaseOs, _log).PinAsync(Graph, PlanOptions.Tools, toolLock, PackageLock.Load(Options.PackagesPath),
                Graph.Platforms, Options.Network, write: true, Options.PackagesPath, token, changelogs: true);
            var files = new List<(string, byte[])>();
            if (result.Changes.Count > 0) files.Add((Options.PackagesFile.Replace('\\', '/'), System.Text.Encoding.UTF8.GetBytes(result.Lock.ToJson())));
            foreach (var tool in result.NpmChanged)
                foreach (var name in new[] { NpmLock.ManifestName, NpmLock.LockName })
                    files.Add(($"{NpmLock.Folder(tool)}/{name}", await File.ReadAllBytesAsync(Path.Combine(Options.RepositoryRoot, NpmLock.Folder(tool), name), token)));
            return (result, files);
        });

    /// <summary>release: builds, proves and pushes the release's platforms (--platform; default every declared one), then moves the tags.</summary>
    /// <param name="release">null: no release tag.</param>
    public async Task ReleaseAsync(ReleaseVerbOptions? release = null, CancellationToken ct = default) =>
        await (await ReleaseCommandAsync(await ReleasePlatformsAsync(ct), release ?? new(), ct)).RunAsync(ct);

    /// <summary>release-index: the moving tags become indexes of what each platform's release pushed and proved; builds nothing.</summary>
    /// <param name="release">null: no release tag.</param>
    public async Task ReleaseIndexAsync(ReleaseVerbOptions? release = null, CancellationToken ct = default) =>
        await (await ReleaseCommandAsync([], release ?? new(), ct)).IndexAsync(ct);

    private async Task<ReleaseCommand> ReleaseCommandAsync(IReadOnlyList<Platform> selected, ReleaseVerbOptions release, CancellationToken ct)
    {
        if (Options.Registry is null || await RegistryAsync(ct) is not { } registry)
            throw new OptionException("--target=release publishes to a registry: give --registry=HOST[:PORT]/NAMESPACE (or STRATA_REGISTRY).");
        await RequireEmulationAsync(selected, ct);
        var attach = new AttachCommand(Engine.Images, Engine.Builds, registry, Graph.Repository, Proofs, PlanOptions.Tools,
            Options.Revision ?? GitRevision.Read(Options.RepositoryRoot), BuilderIdentity.FromEnvironment(_inputs.Environment),
            Options.ArtifactsDirectory, _log) { Reproducible = Options.Reproducible ? Reproducible.ReproducibleClaim.For(Options.Registry) : null };
        return new ReleaseCommand(await ForAsync(Graph.Platforms, ct), selected, registry, Record, Graph.Repository, release.ReleaseTag, attach, _log);
    }

    /// <summary>verify: the moving tags of every declared platform (or those --platform names), per platform's manifest; <paramref name="image"/>: only its.</summary>
    public async Task<IReadOnlyList<VerifyRow>> VerifyAsync(string? image = null, CancellationToken ct = default)
    {
        // Before the plan: a missing --registry is the first thing to say.
        var registry = await RegistryAsync(ct)
            ?? throw new OptionException($"--target={Targets.Verify} works on a registry: give --registry=HOST[:PORT]/NAMESPACE (or STRATA_REGISTRY).");
        return await new VerifyCommand(await ForAsync(await ReleasePlatformsAsync(ct), ct), registry, Graph.Repository, _log).RunAsync(image, ct);
    }

    /// <summary>verify: the evidence of the moving tags (<see cref="VerifyAsync(string?, CancellationToken)"/>), or with --rebuild the chain built again and compared (<see cref="RebuildCheckAsync"/>).</summary>
    public async Task VerifyAsync(VerifyVerbOptions verify, CancellationToken ct = default)
    {
        if (verify.Rebuild) await RebuildCheckAsync(verify.Image, ct);
        else await VerifyAsync(verify.Image, ct);
    }

    /// <summary>vault-scenario: the scenario alone on --image, for each platform of the run.</summary>
    public async Task VaultScenarioAsync(VaultScenarioVerbOptions scenario, CancellationToken ct = default)
    {
        var smoke = await SmokeSuiteAsync(ct);
        foreach (var run in await RunsAsync(ct))
            await new VaultScenarioCommand(Graph, run, smoke, Engine.Images, Engine.Containers, Options, scenario, _log).RunAsync(ct);
    }

    /// <summary>verify --rebuild (issue 31): the chain built again here, cold and normalised, against the registry's moving tags.</summary>
    public async Task<IReadOnlyList<RebuildRow>> RebuildCheckAsync(string? image = null, CancellationToken ct = default)
    {
        var registry = await RegistryAsync(ct)
            ?? throw new OptionException($"--target={Targets.Verify} --rebuild works on a registry: give --registry=HOST[:PORT]/NAMESPACE (or STRATA_REGISTRY).");
        return await new RebuildCheckCommand(await ForAsync(await ReleasePlatformsAsync(ct), ct),
            plan => new ChainBuilder(Engine.Images, Engine.Builds, BaseOs, BuildOptionsWith(noCache: true, cache: null, normalise: true), _log),
            registry, Graph.Repository, Engine.Images, Engine.Archives, _log).RunAsync(image, ct);
    }

    /// <summary>How this run's chain builders build: the run's network, revision and assets, with or without cache and normalising.</summary>
    private BuildOptions BuildOptionsWith(bool noCache, CacheSources? cache, bool normalise) => new()
    {
        Network = Options.Network,
        Revision = Options.Revision ?? GitRevision.Read(Options.RepositoryRoot),
        Assets = _assets.Value,
        NoCache = noCache,
        CacheDirectory = Options.CacheDirectory,
        CacheSources = cache,
        Normaliser = Reproducible.ReproducibleBuilds.NormaliserFor(normalise, Engine.Archives, Engine.Images, _log),
    };

    /// <summary>Removes (or with <paramref name="dryRun"/> lists) this repository's images no recent plan uses.</summary>
    public async Task<PruneResult> PruneAsync(int keep, bool dryRun, CancellationToken ct = default)
    {
        // Every declared platform's plan is current: a prune on one platform's run never removes another's images.
        var native = await NativeAsync(ct);
        var result = await new ImagePruner(Engine.Images, _log).PruneAsync(Graph.Platforms.Select(p => PlanOf(p, native)).ToList(),
            PlanHistory.For(Options.CacheDirectory, Graph.Repository), keep, dryRun, ct);
        _log(result.Summary().TrimEnd());
        return result;
    }

    /// <summary>prune with its options (--keep, --dry-run).</summary>
    public Task<PruneResult> PruneAsync(PruneVerbOptions prune, CancellationToken ct = default) => PruneAsync(prune.Keep, prune.DryRun, ct);

    /// <summary>
    /// Starts the thin dotfiles layers of the run's target images at once (after a dotfile edit they build
    /// side by side). Not with a registry: there a stage another machine built is pulled, not built again.
    /// </summary>
    public async Task StartThinLayersAsync(IEnumerable<string> targets, CancellationToken ct = default)
    {
        // A broken strata.yaml is for the targets that use it to report.
        if (Options.Registry is null && TryGraph(out _) is { } graph)
            foreach (var run in await RunsAsync(ct))
                await run.Build.StartThinLayersAsync(graph, targets, ct);
    }

    /// <summary>Fails with the config error when strata.yaml cannot be used (for targets that only group others).</summary>
    public void RequireConfig() => _ = Graph;

    /// <summary>The graph for declaring targets, or null with the reason when strata.yaml cannot be used.</summary>
    public ImageGraph? TryGraph(out string? error)
    {
        try
        {
            error = null;
            return Graph;
        }
        catch (StrataConfigException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>The tools the images hold: with --skip-tools the GitHub-released binaries are not there to ask.</summary>
    private ToolSet SmokeTools()
    {
        var tools = PlanOptions.Tools ?? new ToolSet(Options.ToolsPath, []);
        return new ToolSet(tools.Path, tools.Tools.Where(PlanOptions.Installs).ToList());
    }

    public void Dispose()
    {
        if (_assets.IsValueCreated) _assets.Value.Dispose();
        _registry?.Dispose();
        if (_ownsEngine) Engine.Dispose();
    }
}
