using System.Text.Json;
using Strata.Bumps;
using Strata.Graph;
using Strata.Images;
using Strata.Keys;
using Strata.Oci;
using Strata.Reporting;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;
using Strata.Tools;

namespace Strata.Tests.Images;

/// <summary>
/// Why an image is rebuilt: each kind of key input is a named component of its stage's key, and the reason is the
/// diff of components against the plan history (plans only: no engine).
/// </summary>
public sealed class BuildReasonTests : IDisposable
{
    private readonly FakeWorld _world = new();
    private TempRepo Repo => _world.Repo;

    public BuildReasonTests()
    {
        Repo.Write("strata.yaml", Yaml())
            .Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n")
            .Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY files/ /etc/k8s/\n")
            .Write("Dockerfiles/Dockerfile.gemini", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n")
            .Write("Dockerfiles/Dockerfile.dotfiles", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY dotfiles/ /root/\n")
            .Write("files/k8s.conf", "a\n")
            .Write("dotfiles/bashrc", "export EDITOR=nvim\n");
    }

    public void Dispose() => _world.Dispose();

    private static string Yaml(string os = FakeWorld.Os, string k8sArgs = "{ X: \"1\" }", string user = "dev") => $$"""
        repository: acme/workstation
        platforms: [linux/amd64, linux/arm64]
        base_os:
          image: "{{os}}"
          debootstrap: { suite: trixie, variant: minbase, mirror: "http://deb.debian.org/debian" }
        dotfiles: { dockerfile: Dockerfiles/Dockerfile.dotfiles, inputs: [dotfiles] }
        images:
          - { name: base, dockerfile: Dockerfiles/Dockerfile.base, devcontainer: { remote_user: {{user}} } }
          - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s, inputs: [files], args: {{k8sArgs}} }
          - { name: gemini, parent: k8s, dockerfile: Dockerfiles/Dockerfile.gemini }
        """;

    private BuildPlan Plan(Platform? platform = null) =>
        BuildPlanner.Plan(GraphLoader.Load(Repo.Path("strata.yaml")), new PlanOptions
        {
            HostCa = HostCaMode.Off, Platform = platform ?? Platform.LinuxAmd64, Native = Platform.LinuxAmd64,
        });

    private static IReadOnlyList<StageKeys> StagesOf(BuildPlan plan) => plan.Images.SelectMany(i => i.Stages).Select(StageKeys.Of).ToList();

    /// <summary>The reasons of every image after <paramref name="edit"/>, against a history holding the plan before it.</summary>
    private Dictionary<string, string> ReasonsAfter(Action<TempRepo> edit)
    {
        var before = StagesOf(Plan());
        edit(Repo);
        return Plan().Images.ToDictionary(i => i.Name, i => BuildReason.Explain(i, [before]).ToString());
    }

    public static TheoryData<string, string, string> Edits => new()
    {
        // what is edited, the image asked about, its reason
        { "Dockerfile.k8s", "k8s", "Dockerfile.k8s changed" },
        { "Dockerfile.k8s", "gemini", "parent k8s changed" },
        { "input", "k8s", "input files/k8s.conf changed" },
        { "new input", "k8s", "input files/extra.conf added" },
        { "base OS", "base", "base OS changed" },
        { "base OS", "k8s", "parent base changed" },
        { "args", "k8s", "build args changed" },
        { "dotfiles", "gemini", "dotfiles changed" },
        { "thin Dockerfile", "base", "Dockerfile.dotfiles changed" },
        { "devcontainer label", "base", "labels changed" },
        { "devcontainer label", "gemini", "labels changed" },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void Each_kind_of_key_input_is_named_as_the_reason(string edit, string image, string reason)
    {
        var reasons = ReasonsAfter(repo =>
        {
            switch (edit)
            {
                case "Dockerfile.k8s": repo.Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN true\n"); break;
                case "input": repo.Write("files/k8s.conf", "b\n"); break;
                case "new input": repo.Write("files/extra.conf", "c\n"); break;
                case "base OS": repo.Write("strata.yaml", Yaml(os: FakeWorld.Os[..^1] + "d")); break;
                case "args": repo.Write("strata.yaml", Yaml(k8sArgs: "{ X: \"2\" }")); break;
                case "dotfiles": repo.Write("dotfiles/bashrc", "export EDITOR=vi\n"); break;
                case "thin Dockerfile": repo.Write("Dockerfiles/Dockerfile.dotfiles", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY dotfiles/ /home/\n"); break;
                case "devcontainer label": repo.Write("strata.yaml", Yaml(user: "ops")); break;
                default: throw new ArgumentException(edit);
            }
        });
        Assert.Equal(reason, reasons[image]);
    }

    [Fact]
    public void A_platform_no_plan_had_is_its_first_build_and_an_unmoved_key_says_so()
    {
        var amd64 = StagesOf(Plan());
        Assert.Equal("first build for linux/arm64", BuildReason.Explain(Plan(Platform.LinuxArm64).Get("k8s"), [amd64]).ToString());
        Assert.Equal("first build for linux/amd64", BuildReason.Explain(Plan().Get("k8s"), []).ToString());
        Assert.Equal("key unchanged, no image under it", BuildReason.Explain(Plan().Get("k8s"), [amd64]).ToString());
    }

    [Fact]
    public void The_reason_is_against_the_newest_plan_with_another_key_so_a_failed_run_recorded_in_between_does_not_hide_it()
    {
        var before = StagesOf(Plan());
        Repo.Write("Dockerfiles/Dockerfile.k8s", "FROM x\n");
        var failedRun = StagesOf(Plan()); // recorded at the end of a run whose k8s build failed
        Assert.Equal("Dockerfile.k8s changed", BuildReason.Explain(Plan().Get("k8s"), [before, failedRun]).ToString());
    }

    [Fact]
    public void Several_changes_are_all_named_and_a_long_list_is_cut()
    {
        var reasons = ReasonsAfter(repo =>
        {
            repo.Write("Dockerfiles/Dockerfile.k8s", "FROM x\n").Write("strata.yaml", Yaml(k8sArgs: "{ X: \"3\" }"));
            foreach (var i in Enumerable.Range(0, 5)) repo.Write($"files/f{i}", "x");
        });
        Assert.Equal("build args changed; Dockerfile.k8s changed; input files/f0 added; input files/f1 added; 3 more", reasons["k8s"]);
    }

    [Fact]
    public void A_pinned_tool_bump_names_the_tool_on_every_image_that_carries_it_in_the_bump_pull_request()
    {
        var root = RepositoryRoot.Find();
        var graph = GraphLoader.Load(Path.Combine(root, "strata.yaml"));
        var tools = ToolsFile.Load(Path.Combine(root, "tools.yaml"));
        var before = Strata.Tests.Keys.ToolKeyTests.Lock("3.19.1", _ => new string('1', 64));
        var after = Strata.Tests.Keys.ToolKeyTests.Lock("3.19.2", _ => new string('2', 64));

        var packages = Strata.Tests.Keys.PackageKeyTests.RepositoryPackages;
        var reasons = BumpDescription.Reasons(graph, tools, before, after, packages, packages);

        Assert.Contains(("k8s (linux/amd64)", "tool helm changed"), reasons);
        Assert.Contains(("latest (linux/arm64)", "tool helm changed"), reasons);
        Assert.DoesNotContain(reasons, r => r.Entry.StartsWith("base ", StringComparison.Ordinal));
        var body = BumpDescription.Body(new PinResult(after, before, true, "", true, new Dictionary<string, ToolSource>()), [], [], "tools.lock.json", null, null, reasons);
        Assert.Contains("- `gemini (linux/amd64)`: tool helm changed\n", body);
    }

    [Fact]
    public void Components_explain_the_key_without_changing_it()
    {
        using var plain = new KeyBuilder().Add("dockerfile", "D").Add("arg.X", "1").Add("tool.helm", "3.19.1").Add("tool.helm.amd64", "u s")
            .Add("parent", "base-os:debian");
        using var explained = new KeyBuilder(components: true).Add("dockerfile", "D").Add("arg.X", "1").Add("tool.helm", "3.19.1")
            .Add("tool.helm.amd64", "u s").Add("parent", "base-os:debian");
        Assert.Equal(plain.Finish(), explained.Finish());
        Assert.Equal(["args", "base-os", "dockerfile", "tool:helm"], explained.Components.Select(c => c.Name));
        Assert.Empty(plain.Components);
    }

    [Fact]
    public async Task The_plan_table_plan_json_and_the_build_report_carry_the_reason_from_the_last_recorded_plan()
    {
        using (var first = _world.Pipeline(withRegistry: false))
        {
            var rows = await first.PlanAsync();
            Assert.All(rows, r => Assert.Equal("first build for linux/amd64", r.Reason));
            foreach (var image in new[] { "base", "k8s", "gemini" }) await (await first.OnlyRunAsync()).Build.RunAsync(image);
            first.Reports.Write(); // records the plan
        }
        Repo.Write("files/k8s.conf", "changed\n");
        _world.Log.Clear();

        using var second = _world.Pipeline(withRegistry: false);
        var plan = await second.PlanAsync();
        Assert.Equal([null, "input files/k8s.conf changed", "parent k8s changed"], plan.Select(r => r.Reason));
        Assert.Contains(_world.Log, l => l.Contains("build (input files/k8s.conf changed)"));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(second.Options.ArtifactsDirectory, "plan.json"))))
            Assert.Equal("parent k8s changed", json.RootElement.GetProperty("images")[2].GetProperty("reason").GetString());

        var built = await (await second.OnlyRunAsync()).Build.RunAsync("k8s");
        Assert.Equal(ImageStatus.Built, built.Status);
        Assert.Equal("input files/k8s.conf changed", built.Reason);
        Assert.Contains("built (input files/k8s.conf changed)", SummaryTable.ForBuild([built]));
        Assert.Null((await (await second.OnlyRunAsync()).Build.RunAsync("base")).Reason); // reused
    }

    [Fact]
    public void A_history_written_before_components_were_recorded_still_reads()
    {
        var history = new PlanHistory(Repo.Path("old.json"));
        File.WriteAllText(history.FilePath, """[["acme/workstation:base-0123456789ab"]]""");
        Assert.Equal(["acme/workstation:base-0123456789ab"], history.Plans().Single());
        Assert.Equal("first build for linux/amd64", BuildReason.Explain(Plan().Get("base"), history.Stages()).ToString());

        history.Record(Plan());
        Repo.Write("Dockerfiles/Dockerfile.base", "FROM y\n");
        Assert.Equal(2, history.Plans().Count);
        Assert.Equal("Dockerfile.base changed", BuildReason.Explain(Plan().Get("base"), history.Stages()).ToString());
    }
}
