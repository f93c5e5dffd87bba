using Strata.Graph;
using Strata.Pipeline;
using Strata.Reporting;
using Strata.Tests.Support;

namespace Strata.Tests.Pipeline;

public sealed class TargetsTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private ImageGraph Graph(string name) => GraphLoader.Parse($"""
        repository: t/targets
        base_os: {"{"} image: "debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132", debootstrap: {"{"} suite: trixie, variant: minbase, mirror: "http://deb.debian.org/debian" {"}"} {"}"}
        images:
          - {"{"} name: {name}, dockerfile: Dockerfile {"}"}
        """, _repo.Write("Dockerfile", "FROM scratch\n").Root);

    [Theory]
    [InlineData("plan", "has the name of a built-in target")]
    [InlineData("default", "has the name of a built-in target")]
    [InlineData("smoke-x", "clashes with the smoke-<image> targets")]
    public void An_image_may_not_take_a_target_name(string name, string message)
    {
        var e = Assert.Throws<StrataConfigException>(() => Targets.CheckImageNames(Graph(name)));
        Assert.StartsWith($"strata.yaml: line 4: image '{name}' {message}", e.Message);
        Assert.EndsWith("; rename it.", e.Message);
    }

    [Fact]
    public void Other_names_are_fine()
    {
        Targets.CheckImageNames(Graph("workstation"));
        Assert.Equal("smoke-workstation", Targets.SmokeOf("workstation"));
    }

    [Fact]
    public void The_test_summary_adds_up_every_trx_and_counts_errors_timeouts_and_aborts_as_failures()
    {
        static string Trx(string counters) =>
            $"""<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><ResultSummary><Counters {counters} /></ResultSummary></TestRun>""";
        _repo.Write("results/a/one.trx", Trx("""total="5" passed="4" failed="1" notExecuted="0" """))
            .Write("results/b/two.trx", Trx("""total="9" passed="6" failed="0" error="1" timeout="1" aborted="0" notExecuted="1" """));

        var summary = TestSummary.FromTrxDirectory(_repo.Path("results"));

        Assert.Equal("10 passed, 3 failed, 1 skipped", summary.ToString());
        Assert.False(summary.Succeeded);
        Assert.False(TestSummary.FromTrxDirectory(_repo.Path("nothing-here")).Succeeded); // nothing ran is no pass
        _repo.Write("results/c/bad.trx", "<TestRun/>");
        Assert.Throws<InvalidDataException>(() => TestSummary.FromTrxDirectory(_repo.Path("results")));
    }
}
