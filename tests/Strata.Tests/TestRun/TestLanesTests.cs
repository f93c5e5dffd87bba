using Strata.TestRun;
using Strata.Tests.Support;

namespace Strata.Tests.TestRun;

public sealed class TestLanesTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void The_vault_proofs_the_registry_tests_and_everything_else_run_side_by_side_the_vault_proofs_first_in_line_as_root()
    {
        Assert.Equal(["Lane=vault-proof", "Lane=registry", "Lane!=vault-proof&Lane!=registry"], TestLanes.Lanes.Select(l => l.Filter));
        var vault = TestLanes.Lanes[0];
        Assert.Equal(["-n", "-10", "dotnet", "test", "Strata.slnx", "--configuration", "Release", "--no-build", "--no-restore",
            "--results-directory", "/r/Lane-vault-proof", "--logger", "trx", "--logger", "console;verbosity=normal",
            "--filter", "Lane=vault-proof"], TestLanes.Arguments(vault, null, "/r", root: true));
        Assert.Equal("0", TestLanes.Arguments(vault, null, "/r", root: false)[1]); // a negative nice needs root
        var rest = TestLanes.Lanes[2];
        Assert.Equal(["-n", "10"], TestLanes.Arguments(rest, null, "/r", root: false).Take(2));
        Assert.Equal("Lane--vault-proof&Lane--registry", rest.ResultsFolder);
        Assert.Equal("(Needs!=Engine)&(Lane!=vault-proof&Lane!=registry)", TestLanes.Arguments(rest, "Needs!=Engine", "/r", root: true)[^1]);
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
