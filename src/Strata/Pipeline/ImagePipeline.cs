using Strata.Downloads;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
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
    private readonly Dictionary<string, ImageResult> _results = [];
    private readonly List<SmokeResult> _smokeResults = [];
    private readonly Action<string> _log;

    public ImagePipeline(RunOptions options, Action<string> log, DockerCli? docker = null)
    {
        Options = options;
        _log = log;
        Docker = docker ?? new DockerCli();
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
        });
        _plan = new Lazy<BuildPlan>(() => BuildPlanner.Plan(Graph, PlanOptions));
        _assets = new Lazy<AssetCache>(() => new AssetCache(Path.Combine(options.CacheDirectory, "assets"), options.Mirror, log: log));
        _builder = new Lazy<ChainBuilder>(() => new ChainBuilder(Docker, new BuildOptions
        {
            Network = options.Network,
            Revision = options.Revision ?? GitRevision.Read(options.RepositoryRoot),
            Assets = _assets.Value,
        }, log));
        Proofs = new SmokeProof(Path.Combine(options.CacheDirectory, "proofs"));
    }

    public RunOptions Options { get; }
    public DockerCli Docker { get; }
    public SmokeProof Proofs { get; }
    public ImageGraph Graph => _graph.Value;
    /// <summary>The mechanism under the gates (for tests): builds and tags without asking for proofs.</summary>
    internal ChainBuilder Builder => _builder.Value;
    public BuildPlan Plan => _plan.Value;

    public PlanOptions PlanOptions => _planOptions.Value;

    public SmokeOptions SmokeOptions => new() { Docker = Docker };

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

    /// <summary>What a run would do, without building: prints a table and writes artifacts/plan.json.</summary>
    public async Task<IReadOnlyList<PlannedImage>> PlanAsync(CancellationToken ct = default)
    {
        var rows = await _builder.Value.PlanAsync(Plan, ct);
        _log(SummaryTable.Render(
            ["IMAGE", "PARENT", "KEY", "STATUS"],
            rows.Select(r => (IReadOnlyList<string>)[r.Name, r.Parent ?? "-", r.Key, r.Status.ToString().ToLowerInvariant()])).TrimEnd());
        var path = Path.Combine(Options.ArtifactsDirectory, "plan.json");
        ReportFiles.WritePlan(path, rows);
        _log($"Plan: {path}");
        return rows;
    }

    /// <summary>Builds one image (or reuses it) on its parent's existing image; moves no moving tag.</summary>
    public async Task<ImageResult> BuildAsync(string image, CancellationToken ct = default)
    {
        var result = await _builder.Value.BuildImageAsync(Plan, image, ct);
        _results[image] = result;
        return result;
    }

    /// <summary>Builds the image's ancestors, root first, then the image.</summary>
    public async Task<ImageResult> BuildLineageAsync(string image, CancellationToken ct = default)
    {
        ImageResult? last = null;
        foreach (var step in Plan.Lineage(image)) last = await BuildAsync(step.Name, ct);
        return last!;
    }

    /// <summary>The key of the image's proof: its content key and everything that decides its smoke tests.</summary>
    public string ProofKey(string image) =>
        SmokeProof.Key(Graph, Plan.Get(image).Key, SmokeSuite.Plan(Graph, image, SmokeTools(), Plan.Lock, SmokeOptions), SmokeOptions);

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
        var result = await SmokeSuite.RunAsync(Graph, image, plan.Published.KeyTag, SmokeTools(), Plan.Lock, SmokeOptions, _log, ct);
        _smokeResults.Add(result);
        if (!result.Passed)
            throw new SmokeFailedException(
                $"{image}: {result.FailedCount} smoke check(s) failed; {plan.MovingTag} was not moved. Report: {result.ReportPath}", result);
        Proofs.Record(proofKey, result);
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
        await _builder.Value.PromoteAsync(Plan, image, ct);
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
    }
}
