using Strata.Bumps;
using Strata.Graph;
using Strata.Reporting;
using Strata.Supply;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;
using Strata.Tools;
using Xunit.Abstractions;

namespace Strata.Tests.Supply;

/// <summary>The chain as a Mermaid flowchart: its shape, and that the real Mermaid CLI renders every diagram Strata writes.</summary>
public sealed class ChainDiagramTests(ITestOutputHelper output) : IDisposable
{
    private readonly FakeWorld _world = new();

    public void Dispose() => _world.Dispose();

    private static readonly ChainNode[] Tricky =
    [
        new("base", null, "linux/amd64", false, null),
        new("k8s-1.32", "base", "linux/amd64", true, "input files/\"odd\" <name> #1 changed"),
        new("base", null, "linux/arm64", true, "first build for linux/arm64"),
    ];

    [Fact]
    public void Each_platform_is_a_box_of_its_images_with_arrows_from_parents_and_the_reason_on_what_is_built()
    {
        var text = ChainDiagram.Mermaid(Tricky);

        Assert.StartsWith("flowchart LR\n", text);
        Assert.Contains("  subgraph p0[\"linux/amd64\"]\n    p0n0[\"base<br/>reuse\"]:::reuse\n", text);
        Assert.Contains("    p0n1[\"k8s-1.32<br/>build: input files/#quot;odd#quot; #lt;name#gt; #35;1 changed\"]:::build\n", text);
        Assert.Contains("    p0n0 --> p0n1\n  end\n", text);
        Assert.Contains("  subgraph p1[\"linux/arm64\"]\n    p1n0[\"base<br/>build: first build for linux/arm64\"]:::build\n  end\n", text);
    }

    [Fact]
    [Trait("Needs", "Browser")]
    public async Task The_real_mermaid_cli_renders_the_plan_the_release_notes_and_the_bump_pull_request()
    {
        var mermaid = await MermaidCli.InstallAsync(output.WriteLine);
        var dir = _world.Repo;

        // The plan's file, from a plan on the fakes.
        dir.Write("strata.yaml", $$"""
            repository: acme/workstation
            {{FakeWorld.BaseOsYaml}}
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
              - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s }
            """).Write("Dockerfiles/Dockerfile.base", "FROM x\n").Write("Dockerfiles/Dockerfile.k8s", "FROM x\n");
        string plan;
        using (var pipeline = _world.Pipeline(withRegistry: false))
        {
            await pipeline.PlanAsync();
            plan = File.ReadAllText(Path.Combine(pipeline.Options.ArtifactsDirectory, "plan.mmd"));
        }
        Assert.Contains(_world.Log, l => l.StartsWith("flowchart LR", StringComparison.Ordinal)); // in the plan output too

        // The release notes and the bump pull request, with the real strata.yaml's chain.
        var root = RepositoryRoot.Find();
        var graph = GraphLoader.Load(Path.Combine(root, "strata.yaml"));
        var tools = ToolsFile.Load(Path.Combine(root, "tools.yaml"));
        var packages = Keys.PackageKeyTests.RepositoryPackages;
        var (before, after) = (Keys.ToolKeyTests.Lock("3.19.1", _ => new string('1', 64)), Keys.ToolKeyTests.Lock("3.19.2", _ => new string('2', 64)));
        var bump = BumpDescription.Body(new PinResult(after, before, true, "", true, new Dictionary<string, ToolSource>()), [], [], "tools.lock.json",
            null, null, BumpDescription.Reasons(graph, tools, before, after, packages, packages), BumpDescription.Chain(graph, tools, before, after, packages, packages));
        var notes = ReleaseNotes.Render([], Tricky);
        Assert.Contains("```mermaid\nflowchart LR\n", bump);
        Assert.Contains("build: tool helm changed", bump);

        var document = "# plan\n\n```mermaid\n" + plan + "```\n\n" + notes + "\n" + bump;
        dir.Write("all.md", document);
        Directory.CreateDirectory(dir.Path("out"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rendered = await mermaid.RenderAsync(dir.Path("all.md"), dir.Path("out/all.md"));
        output.WriteLine($"MEASURED mermaid-cli render of 3 diagrams: {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(rendered.Exit == 0, rendered.Output);
        var svgs = Directory.GetFiles(dir.Path("out"), "*.svg");
        Assert.Equal(3, svgs.Length);
        Assert.All(svgs, svg => Assert.Contains("<svg", File.ReadAllText(svg)));
        Assert.Contains(svgs, svg => File.ReadAllText(svg).Contains("tool helm changed"));

        // The tool can say no: an unterminated label is refused (so the renders above are real checks).
        dir.Write("broken.mmd", "flowchart LR\n  a[\"unterminated --> b\n");
        var broken = await mermaid.RenderAsync(dir.Path("broken.mmd"), dir.Path("out/broken.svg"));
        Assert.NotEqual(0, broken.Exit);
    }
}
