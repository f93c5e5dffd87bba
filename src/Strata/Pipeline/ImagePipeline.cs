using Strata.Downloads;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Registry;
using Strata.Smoke;
using Strata.Tools;

namespace Strata.Pipeline;

/// <summary>
/// The composition root of a run: it wires the services (the engine, the plan, the chain builder, the
/// stage sources, the registry, the smoke runner, the proofs) and hands out one command per verb
/// (<see cref="Plan"/>, <see cref="Build"/>, <see cref="Prove"/>, <see cref="Release"/>, <see cref="Prune"/>,
/// <see cref="VaultScenario"/>), which make every decision. It decides nothing itself.
/// Nothing is read when it is created: strata.yaml, tools.yaml and the lock are loaded by the first
/// command that needs them, so a target that needs none of them (test, pin) runs with a broken config.
/// </summary>
public sealed class ImagePipeline : IDisposable
{
    private readonly Action<string> _log;
    private readonly bool _ownsEngine;
    private readonly Lazy<ImageGraph> _graph;
    private readonly Lazy<PlanOptions> _planOptions;
    private readonly Lazy<BuildPlan> _plan;
    private readonly Lazy<AssetCache> _assets;
    private readonly Lazy<ChainBuilder> _builder;
    private readonly RegistryLogin _login;
    private readonly Lazy<IRegistry?> _registry;
    private readonly Lazy<StageSources> _sources;
    private readonly Lazy<CacheSources?> _cacheSources;
    private readonly Lazy<SmokeRunner> _smokeSuite;
    private readonly Lazy<ISmokeRunner> _smoke;
    private readonly Lazy<BuildCommand> _build;
    private readonly Lazy<ProveCommand> _prove;

    /// <param name="engine">null: the real engine (disposed with the pipeline).</param>
    /// <param name="readRegistryPassword">Asked once, when the registry is first used with --registry-password-stdin (the script reads stdin).</param>
    /// <param name="registry">null: the real registry client for --registry.</param>
    /// <param name="smoke">null: the smoke suite on the engine.</param>
    public ImagePipeline(RunOptions options, Action<string> log, IEngine? engine = null, Func<string?>? readRegistryPassword = null,
        IRegistry? registry = null, ISmokeRunner? smoke = null)
    {
        Options = options;
        _log = log;
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
            SkipBinaryTools = options.SkipBinaryTools,
            Repository = options.Registry?.ImageName(Graph.Repository),
        });
        _plan = new(() => BuildPlanner.Plan(Graph, PlanOptions));
        _assets = new(() => new AssetCache(Path.Combine(options.CacheDirectory, "assets"), options.Mirror, log: log));
        _builder = new(() => new ChainBuilder(Engine, new BuildOptions
        {
            Network = options.Network,
            Revision = options.Revision ?? GitRevision.Read(options.RepositoryRoot),
            Assets = _assets.Value,
            NoCache = options.NoCache,
            CacheDirectory = options.CacheDirectory,
            CacheSources = _cacheSources!.Value,
        }, log));
        _login = new RegistryLogin(ct => options.Registry is { } location
            ? RegistryCredentials.FindAsync(location.Host, Environment.GetEnvironmentVariable,
                options.RegistryPasswordFromStdin ? (readRegistryPassword ?? Console.In.ReadLine)() : null, ct)
            : Task.FromResult<RegistryCredentials?>(null));
        // The registry picks an index's entry for the platform the plan builds for.
        _registry = new(() => registry ?? (options.Registry is { } location
            ? new RegistryClient(location, _login, new RegistryClientOptions { Architecture = PlanOptions.Platform.Architecture })
            : null));
        _cacheSources = new(() => options.NoCache ? null : new CacheSources(Engine.Images, _registry.Value, _login, Graph.Repository,
            PlanHistory.For(options.CacheDirectory, Graph.Repository), log));
        _sources = new(() => new StageSources(Plan, Builder, Engine.Images, _registry.Value, _login, Graph.Repository, log));
        _smokeSuite = new(() => new SmokeRunner(Graph, SmokeTools(), Plan.Lock, SmokeOptions, log));
        _smoke = new(() => smoke ?? _smokeSuite.Value);
        _build = new(() => new BuildCommand(Plan, Builder, _sources.Value, Record, log));
        _prove = new(() => new ProveCommand(Plan, _smoke.Value, Proofs, _sources.Value, Builder, Record, log));
        Reports = new RunReports(Record, () => Plan, options.ArtifactsDirectory, options.CacheDirectory);
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
    public BuildPlan Plan => _plan.Value;
    /// <summary>The mechanism under the gates (for tests): builds and tags without asking for proofs.</summary>
    internal ChainBuilder Builder => _builder.Value;

    /// <summary>The smoke suite's settings for this run: vault proofs are kept in the cache, beside the smoke proofs.</summary>
    public SmokeOptions SmokeOptions => new()
    {
        Docker = Engine, VaultProofDirectory = Path.Combine(Options.CacheDirectory, "vault-proofs"), VaultRuntime = Options.VaultRuntime,
    };

    public PlanCommand Planning => new(Plan, _sources.Value, _cacheSources.Value, Options.ArtifactsDirectory, _log);
    public BuildCommand Build => _build.Value;
    public ProveCommand Prove => _prove.Value;

    public ReleaseCommand Release => Options.Registry is { } registry
        ? new ReleaseCommand(Plan, Build, Prove, _sources.Value, Record, registry, Graph.Repository, Options.ReleaseTag, Attach, _log)
        : throw new OptionException("--target=release publishes to a registry: give --registry=HOST[:PORT]/NAMESPACE (or STRATA_REGISTRY).");

    /// <summary>The release's supply-chain step: SBOM, provenance and smoke report attached per manifest digest, and the release record.</summary>
    public AttachCommand Attach => new(Plan, Prove, _sources.Value, Engine, RequireRegistry(Targets.Release), Graph.Repository, Proofs, PlanOptions.Tools,
        Options.Revision ?? GitRevision.Read(Options.RepositoryRoot), Supply.BuilderIdentity.FromEnvironment(Environment.GetEnvironmentVariable),
        Options.ArtifactsDirectory, _log);

    public VerifyCommand Verify
    {
        get
        {
            var registry = RequireRegistry(Targets.Verify); // before the plan: a missing --registry is the first thing to say
            return new(Plan, Prove, registry, Graph.Repository, _log);
        }
    }

    private IRegistry RequireRegistry(string target) => _registry.Value
        ?? throw new OptionException($"--target={target} works on a registry: give --registry=HOST[:PORT]/NAMESPACE (or STRATA_REGISTRY).");

    public VaultScenarioCommand VaultScenario => new(Graph, Plan, Build, _smokeSuite.Value, Engine, Options, _log);

    /// <summary>Removes (or with <paramref name="dryRun"/> lists) this repository's images no recent plan uses.</summary>
    public async Task<PruneResult> PruneAsync(int keep, bool dryRun, CancellationToken ct = default)
    {
        var result = await new ImagePruner(Engine, _log).PruneAsync(Plan, PlanHistory.For(Options.CacheDirectory, Graph.Repository), keep, dryRun, ct);
        _log(result.Summary().TrimEnd());
        return result;
    }

    /// <summary>
    /// Starts the thin dotfiles layers of the run's target images at once (after a dotfile edit they build
    /// side by side). Not with a registry: there a stage another machine built is pulled, not built again.
    /// </summary>
    public async Task StartThinLayersAsync(IEnumerable<string> targets, CancellationToken ct = default)
    {
        // A broken strata.yaml is for the targets that use it to report.
        if (Options.Registry is null && TryGraph(out _) is { } graph) await Build.StartThinLayersAsync(graph, targets, ct);
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
        if (_registry.IsValueCreated) _registry.Value?.Dispose();
        if (_ownsEngine) Engine.Dispose();
    }
}
