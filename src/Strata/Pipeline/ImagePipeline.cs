using Strata.Downloads;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Registry;
using Strata.Reporting;
using Strata.Smoke;
using Strata.Tools;

namespace Strata.Pipeline;

/// <summary>A smoke run failed: the image stays unproven and its moving tag where it was.</summary>
public sealed class SmokeFailedException(string message, SmokeResult result) : Exception(message)
{
    public SmokeResult Result { get; } = result;
}

/// <summary>Something asked to move a moving tag onto an image that has not passed its smoke tests.</summary>
public sealed class PromotionRefusedException(string message) : Exception(message);

/// <summary>The vault scenario, run on its own (the vault-scenario target), did not pass.</summary>
public sealed class VaultScenarioFailedException(string message) : Exception(message);

/// <summary>
/// One run of Strata, whatever the target: the plan, building an image, proving it, remembering the
/// proof, promoting it (moving its tag), and the reports. The build script declares targets and
/// calls these methods; every decision is made here, where tests reach it.
/// Nothing is read when it is created: strata.yaml, tools.yaml and the lock are loaded by the first
/// step that needs them, so a target that needs none of them (test, pin) runs with a broken config.
/// </summary>
public sealed class ImagePipeline : IDisposable
{
    private readonly Lazy<ImageGraph> _graph;
    private readonly Lazy<PlanOptions> _planOptions;
    private readonly Lazy<BuildPlan> _plan;
    private readonly Lazy<ChainBuilder> _builder;
    private readonly Lazy<AssetCache> _assets;
    private readonly Lazy<StageSources> _sources;
    private readonly Lazy<RegistryClient?> _registry;
    private readonly Dictionary<string, ImageResult> _results = [];
    private readonly List<SmokeResult> _smokeResults = [];
    private readonly Action<string> _log;
    private readonly bool _ownsDocker;

    public ImagePipeline(RunOptions options, Action<string> log, DockerEngine? docker = null, TextReader? stdin = null)
    {
        Options = options;
        _log = log;
        Docker = docker ?? new DockerEngine(options.Builder);
        _ownsDocker = docker is null;
        _graph = new Lazy<ImageGraph>(() =>
        {
            var graph = GraphLoader.Load(options.ConfigPath);
            Targets.CheckImageNames(graph);
            return graph;
        });
        _planOptions = new Lazy<PlanOptions>(() => new PlanOptions
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
        _plan = new Lazy<BuildPlan>(() => BuildPlanner.Plan(Graph, PlanOptions));
        _assets = new Lazy<AssetCache>(() => new AssetCache(Path.Combine(options.CacheDirectory, "assets"), options.Mirror, log: log));
        _builder = new Lazy<ChainBuilder>(() => new ChainBuilder(Docker, new BuildOptions
        {
            Network = options.Network,
            Revision = options.Revision ?? GitRevision.Read(options.RepositoryRoot),
            Assets = _assets.Value,
            NoCache = options.NoCache,
            CacheDirectory = options.CacheDirectory,
        }, log));
        Proofs = new SmokeProof(Path.Combine(options.CacheDirectory, "proofs"));
        // --registry-password-stdin: one line from stdin, read only when the registry is first used.
        var credentials = new Lazy<RegistryCredentials?>(() => options.Registry is { } location
            ? RegistryCredentials.Find(location.Host, Environment.GetEnvironmentVariable,
                options.RegistryPasswordFromStdin ? (stdin ?? Console.In).ReadLine() : null)
            : null);
        _registry = new Lazy<RegistryClient?>(() => options.Registry is { } location
            ? new RegistryClient(location, credentials.Value, new RegistryClientOptions { Architecture = Docker.ArchAsync().GetAwaiter().GetResult() })
            : null);
        _sources = new Lazy<StageSources>(() => new StageSources(Plan, Builder, Docker, _registry.Value, credentials.Value, Graph.Repository, log));
    }

    public RunOptions Options { get; }
    public DockerEngine Docker { get; }
    public SmokeProof Proofs { get; }
    public ImageGraph Graph => _graph.Value;
    /// <summary>The mechanism under the gates (for tests): builds and tags without asking for proofs.</summary>
    internal ChainBuilder Builder => _builder.Value;
    public BuildPlan Plan => _plan.Value;

    public PlanOptions PlanOptions => _planOptions.Value;

    /// <summary>The smoke suite's settings for this run: vault proofs are kept in the cache, beside the smoke proofs.</summary>
    public SmokeOptions SmokeOptions => new()
    {
        Docker = Docker, VaultProofDirectory = Path.Combine(Options.CacheDirectory, "vault-proofs"), VaultRuntime = Options.VaultRuntime,
    };

    /// <summary>What this run built or reused, in chain order.</summary>
    public IReadOnlyList<ImageResult> Results =>
        Graph.Images.Where(i => _results.ContainsKey(i.Name)).Select(i => _results[i.Name]).ToList();

    public IReadOnlyList<SmokeResult> SmokeResults => _smokeResults;

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

    /// <summary>
    /// What a run would do, without building or pulling: per image and stage, whether it is here,
    /// in the registry, or would be built. Prints a table and writes artifacts/plan.json.
    /// </summary>
    public async Task<IReadOnlyList<PlannedImage>> PlanAsync(CancellationToken ct = default)
    {
        var rows = new List<PlannedImage>();
        foreach (var image in Plan.Images)
        {
            var stages = new List<StageReport>();
            foreach (var stage in image.Stages)
                stages.Add(Report(stage, await _sources.Value.LocateAsync(stage, ct)));
            rows.Add(new PlannedImage(image.Name, image.Key, image.Spec.Parent,
                stages.Any(st => st.Source == StageSource.Built) ? PlanAction.Build : PlanAction.Reuse) { Stages = stages });
        }
        _log(SummaryTable.Render(
            ["IMAGE", "PARENT", "KEY", "STATUS", "STAGES"],
            rows.Select(r => (IReadOnlyList<string>)[r.Name, r.Parent ?? "-", r.Key, r.Status.ToString().ToLowerInvariant(),
                string.Join(", ", r.Stages.Select(st => $"{st.Stage}: {st.Source.ToString().ToLowerInvariant()}"))])).TrimEnd());
        var path = Path.Combine(Options.ArtifactsDirectory, "plan.json");
        ReportFiles.WritePlan(path, rows);
        _log($"Plan: {path}");
        return rows;
    }

    private static StageReport Report(Stage stage, StageSource source) =>
        new(stage.Kind.ToString().ToLowerInvariant(), stage.Key, stage.KeyTag, source);

    /// <summary>
    /// Makes the image's published stage exist here: reused, pulled from the registry (by digest), or
    /// built on its parent's core. Moves no moving tag.
    /// </summary>
    public Task<ImageResult> BuildAsync(string image, CancellationToken ct = default) => ResolveAsync(image, needLocal: true, ct);

    /// <summary>Makes the image exist here or in the registry, building only what neither has (a release pulls nothing it does not need).</summary>
    private async Task<ImageResult> ResolveAsync(string image, bool needLocal, CancellationToken ct)
    {
        var plan = Plan.Get(image);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sources = _sources.Value;
        if (needLocal || !await sources.IsAvailableAsync(plan.Published, ct))
            await sources.EnsureLocalAsync(plan, StageKind.Published, ct);
        foreach (var stage in plan.Stages) await sources.IsAvailableAsync(stage, ct); // records core's source too

        var stages = plan.Stages.Select(st => Report(st, sources.SourceOf(st) ?? StageSource.Local)).ToList();
        var built = stages.Any(st => st.Source == StageSource.Built);
        var local = (await Builder.LocalImagesAsync(Plan, ct)).GetValueOrDefault(plan.Published.KeyTag);
        var remote = local is null ? await sources.RemoteAsync(plan.Published, ct) : null;
        if (!built)
            _log(stages.All(st => st.Source == StageSource.Local)
                ? $"==> {image}: reused {plan.Published.KeyTag}"
                : $"==> {image}: {plan.Published.KeyTag} from the registry{(local is null ? " (not pulled: nothing here needs it)" : "")}");
        var result = new ImageResult(image, plan.Key, plan.Published.KeyTag, local?.Id ?? remote?.Digest ?? "",
            built ? ImageStatus.Built : ImageStatus.Reused, clock.Elapsed.TotalSeconds, local?.Size ?? remote?.Size ?? 0)
        {
            Stages = stages,
            BytesPulled = sources.BytesPulled(plan),
        };
        _results[image] = result;
        return result;
    }

    /// <summary>
    /// Starts at once the thin dotfiles layers of the images among <paramref name="targets"/> whose core is
    /// here (each needs only its core), so after a dotfile edit they build side by side. Not with a
    /// registry: there a stage another machine built is pulled, not built again.
    /// </summary>
    public async Task StartThinLayersAsync(IEnumerable<string> targets, CancellationToken ct = default)
    {
        // A broken strata.yaml is for the targets that use it to report.
        if (Options.Registry is null && TryGraph(out _) is { } graph) await Builder.StartThinLayersAsync(graph, () => Plan, targets, ct);
    }

    /// <summary>Removes (or with <paramref name="dryRun"/> lists) this repository's images no recent plan uses.</summary>
    public async Task<PruneResult> PruneAsync(int keep, bool dryRun, CancellationToken ct = default)
    {
        var result = await new ImagePruner(Docker, _log).PruneAsync(Plan, PlanHistory.For(Options.CacheDirectory, Graph.Repository), keep, dryRun, ct);
        _log(result.Summary().TrimEnd());
        return result;
    }

    /// <summary>Builds the image's ancestors, root first, then the image.</summary>
    public async Task<ImageResult> BuildLineageAsync(string image, CancellationToken ct = default)
    {
        ImageResult? last = null;
        foreach (var step in Plan.Lineage(image)) last = await BuildAsync(step.Name, ct);
        return last!;
    }

    /// <summary>
    /// The key of the image's proof: its content key and everything that decides its smoke tests.
    /// Computed once per image and run, like the plan: proving, promoting and releasing all ask for it.
    /// </summary>
    public string ProofKey(string image)
    {
        if (!_proofKeys.TryGetValue(image, out var key))
            _proofKeys[image] = key = SmokeProof.Key(Graph, Plan.Get(image).Key,
                SmokeSuite.Plan(Graph, image, SmokeTools(), Plan.Lock, SmokeOptions), SmokeOptions);
        return key;
    }

    private readonly Dictionary<string, string> _proofKeys = [];

    /// <summary>Whether the image, as planned now, passed its smoke tests (in this run or an earlier one).</summary>
    public bool IsProven(string image) => Proofs.IsProven(ProofKey(image));

    /// <summary>
    /// Smoke-tests the image's published stage unless an earlier run proved it under the same checks,
    /// and remembers a pass. A failure throws <see cref="SmokeFailedException"/>: nothing is remembered.
    /// </summary>
    public async Task ProveAsync(string image, CancellationToken ct = default)
    {
        var plan = Plan.Get(image);
        var proofKey = ProofKey(image);
        if (Proofs.IsProven(proofKey))
        {
            _log($"==> {image}: smoke tests passed earlier for {plan.Published.KeyTag}");
            return;
        }
        // A release elsewhere proved this image under these very checks: its proof tag says so.
        if (await _sources.Value.FindTagAsync(ProofTag(image, proofKey), ct) is { } marker &&
            marker.Labels.GetValueOrDefault(ChainBuilder.KeyLabel) == plan.Key)
        {
            _log($"==> {image}: smoke tests passed in an earlier release ({marker.Name}:{marker.Tag})");
            Proofs.Record(proofKey, new SmokeResult(image, plan.Published.KeyTag, [], null, null, TimeSpan.Zero));
            return;
        }
        await _sources.Value.EnsureLocalAsync(plan, StageKind.Published, ct);
        var result = await SmokeSuite.RunAsync(Graph, image, plan.Published.KeyTag, SmokeTools(), Plan.Lock, SmokeOptions, _log, ct);
        _smokeResults.Add(result);
        if (!result.Passed)
            throw new SmokeFailedException(
                $"{image}: {result.FailedCount} smoke check(s) failed; {plan.MovingTag} was not moved. Report: {result.ReportPath}", result);
        Proofs.Record(proofKey, result);
    }

    /// <summary>
    /// The vault scenario alone, on one image (--image, default base; built first when it must be), with
    /// its progress printed as it comes: the loop for working on the vault (--vault-checks, --vault-override,
    /// --vault-runtime, --vault-bench). It proves nothing that is remembered and moves no tag.
    /// </summary>
    public async Task RunVaultScenarioAsync(CancellationToken ct = default)
    {
        var image = Options.Image ?? Graph.Images[0].Name;
        if (!Graph.Contains(image))
            throw new StrataConfigException($"--image={image}: not an image of {Options.ConfigFile}; give one of {string.Join(", ", Graph.Images.Select(i => i.Name))}.");
        var options = SmokeOptions;
        var spec = SmokeSuite.Plan(Graph, image, SmokeTools(), Plan.Lock, options).Spec;
        if (!spec.Vault)
            throw new StrataConfigException($"--image={image}: its smoke spec does not say 'vault: true' (in {options.SpecDirectory}/{image}.smoke.yaml or an ancestor's), so it has no vault to prove.");
        var user = spec.User;
        await BuildLineageAsync(image, ct); // (BuildAsync makes each published image exist here)
        var plan = Plan.Get(image);
        var run = new VaultRun(plan.Published.KeyTag, user, Path.Combine(Graph.RootDirectory, options.VaultDirectory), options.VaultTimeout)
        {
            Runtime = Options.VaultRuntime, Only = Options.VaultChecks, VaultOverride = Options.VaultOverride, Bench = Options.VaultBench,
        };
        _log($"==> {image}: vault scenario on {run.ImageRef} as {user}");
        var output = await VaultMachine.RunAsync(Docker, run, line => _log("    " + line), ct);
        var verdict = output.StdOut.Split('\n').LastOrDefault(l => l.StartsWith(ScenarioCheck.VerdictPrefix, StringComparison.Ordinal));
        if (output.TimedOut || output.ExitCode != 0 || verdict is null)
            throw new VaultScenarioFailedException(output.TimedOut
                ? $"{image}: the vault scenario did not finish within {run.Timeout.TotalMinutes:0} min."
                : $"{image}: the vault scenario failed (exit {output.ExitCode}): {verdict ?? "no verdict"}; the 'not ok' lines above say why.");
        _log($"==> {image}: vault scenario: {verdict[ScenarioCheck.VerdictPrefix.Length..].Trim()}");
    }

    /// <summary>
    /// Moves the image's moving tag onto its published stage. The gate: only a proven image is
    /// promoted; anything else is refused, whoever asks.
    /// </summary>
    public async Task PromoteAsync(string image, CancellationToken ct = default)
    {
        var plan = Plan.Get(image);
        if (!IsProven(image))
            throw new PromotionRefusedException(
                $"{image}: {plan.Published.KeyTag} has not passed its smoke tests, so {plan.MovingTag} stays where it is. " +
                $"Prove it first: ./build.sh --target={Targets.SmokeOf(image)}");
        await _sources.Value.EnsureLocalAsync(plan, StageKind.Published, ct);
        await _builder.Value.PromoteAsync(Plan, image, ct);
    }

    /// <summary>The registry tag that records a proof: the published key tag plus the proof key.</summary>
    public string ProofTag(string image, string proofKey) => $"{StageSources.TagOf(Plan.Get(image).Published.KeyTag)}-proven-{proofKey[..12]}";

    /// <summary>
    /// The release: build what neither this engine nor the registry has, smoke-test what no one has
    /// proven under these checks, push each image's key tags (core, then published, then its proof
    /// tag) once it passed, and only after the whole chain passed, move the moving tags in the
    /// registry (re-tagging the existing manifests). A re-run finishes what a crash left.
    /// </summary>
    public async Task ReleaseAsync(CancellationToken ct = default)
    {
        if (Options.Registry is null)
            throw new StrataConfigException("--target=release publishes to a registry: give --registry=HOST[:PORT]/NAMESPACE (or STRATA_REGISTRY).");
        var sources = _sources.Value;
        foreach (var image in Plan.Images)
        {
            await ResolveAsync(image.Name, needLocal: false, ct);
            await ProveAsync(image.Name, ct);
            foreach (var stage in image.Stages) await sources.PushAsync(image, stage, ct);
            var proofTag = ProofTag(image.Name, ProofKey(image.Name));
            if (await sources.FindTagAsync(proofTag, ct) is null) await sources.TagRemoteAsync(image.Published, proofTag, ct);
            _results[image.Name] = _results[image.Name] with { BytesPushed = sources.BytesPushed(image) };
        }
        // Every image passed: now, and only now, the moving tags move.
        foreach (var image in Plan.Images)
        {
            string[] tags = Options.ReleaseTag is { } version ? [image.Name, $"{image.Name}-{version}"] : [image.Name];
            foreach (var tag in tags)
            {
                await sources.TagRemoteAsync(image.Published, tag, ct);
                _log($"==> {image.Name}: {Options.Registry.ImageName(Graph.Repository)}:{tag} -> {image.Published.KeyTag}");
            }
        }
    }

    /// <summary>The smoke target of one image: prove it, then move its tag.</summary>
    public async Task ProveAndPromoteAsync(string image, CancellationToken ct = default)
    {
        await ProveAsync(image, ct);
        await PromoteAsync(image, ct);
    }

    /// <summary>The end-of-run summary (build table, smoke table) and artifacts/build-report.json; empty when nothing ran.</summary>
    public string Summarize()
    {
        var text = new System.Text.StringBuilder();
        if (_results.Count > 0)
        {
            var report = Path.Combine(Options.ArtifactsDirectory, "build-report.json");
            ReportFiles.WriteBuildReport(report, Results);
            PlanHistory.For(Options.CacheDirectory, Graph.Repository).Record(Plan); // what prune keeps
            text.AppendLine().Append(SummaryTable.ForBuild(Results)).AppendLine($"Report: {report}");
        }
        if (_smokeResults.Count > 0)
            text.AppendLine().Append(SmokeReport.Summary(_smokeResults));
        return text.ToString();
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
        if (_ownsDocker) Docker.Dispose();
    }
}
