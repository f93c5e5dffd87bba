using System.Xml.Linq;
using Strata.Engine;
using Strata.Smoke;
using Strata.Tests.Support;

namespace Strata.Tests.Smoke;

/// <summary>
/// The vault scenario's contract (what a run prints: runtime line, TAP lines, verdict) with fake runs, and
/// the missing scripts: no engine needed. The real runs are VaultScenarioIntegrationTests'.
/// </summary>
public sealed class ScenarioCheckTests : IDisposable
{
    private readonly TempRepo _temp = new();
    // Asked nothing: the scenario runs are faked, and a run without its scripts ends before it asks.
    private readonly DockerEngine _engine = new();
    private VaultRun? _given;

    public void Dispose()
    {
        _temp.Dispose();
        _engine.Dispose();
    }

    private SmokeContext Context(ScenarioOutput output) =>
        new(_engine.Images, _engine.Containers, "unused", "latest", Strata.Oci.ImageReference.Parse("strata/workstation:latest-0123456789ab"), "dev",
            new Dictionary<string, string>(), new SmokeOptions
            {
                RunVault = (_, _, run, _, _) => { _given = run; return Task.FromResult(output); },
            });

    private async Task<IReadOnlyList<CheckResult>> RunAsync(string stdout, int exitCode = 0, bool timedOut = false)
    {
        var check = new ScenarioCheck(GeneratedChecks.Vault, CheckResult.Generated, _temp.Root, TimeSpan.FromSeconds(600));
        return await check.RunAsync(Context(new ScenarioOutput(exitCode, stdout, "", timedOut)), CancellationToken.None);
    }

    [Fact]
    public async Task Each_TAP_line_is_a_check_and_the_runtime_line_is_recorded()
    {
        var results = await RunAsync("""
            # runtime: user-mode linux
            ok - luks volume opens
            some debug output
            not ok - secret reads back: expected 'hunter2', got ''
            not ok - volume closes
            # vault scenario: FAIL (1 passed, 2 failed)
            """, exitCode: 1);

        Assert.Equal(["vault scenario", "vault scenario: luks volume opens", "vault scenario: secret reads back", "vault scenario: volume closes"],
            results.Select(r => r.Name));
        Assert.True(results[0].Passed);
        Assert.Equal("user-mode linux", results[0].ScenarioRuntime);
        Assert.Equal([true, true, false, false], results.Select(r => r.Passed));
        Assert.Equal("expected 'hunter2', got ''", results[2].Message);
        Assert.Equal("failed (no reason given)", results[3].Message);
    }

    [Fact]
    public async Task The_run_gets_the_image_the_spec_user_the_folder_and_the_checks_timeout()
    {
        var results = await RunAsync("# runtime: uml\nok - a\n# vault scenario: PASS (1 passed, 0 failed)\n");

        Assert.True(results[0].Passed, results[0].Message);
        Assert.Equal(new VaultRun(Strata.Oci.ImageReference.Parse("strata/workstation:latest-0123456789ab"), "dev", _temp.Root, TimeSpan.FromSeconds(600)), _given);
    }

    [Fact]
    public async Task No_runtime_line_fails()
    {
        var results = await RunAsync("ok - volume opens\n# vault scenario: PASS (1 passed, 0 failed)\n");

        Assert.False(results[0].Passed);
        Assert.Contains("printed no '# runtime: ...' line", results[0].Message);
        Assert.Null(results[0].ScenarioRuntime);
        Assert.True(results[1].Passed);
    }

    [Fact]
    public async Task No_checks_fails_even_with_exit_0()
    {
        var result = Assert.Single(await RunAsync("# runtime: uml\n# vault scenario: PASS (0 passed, 0 failed)\n"));

        Assert.False(result.Passed);
        Assert.Contains("printed no 'ok - NAME' / 'not ok - NAME: REASON' lines (exit 0)", result.Message);
        Assert.Equal("uml", result.ScenarioRuntime);
    }

    [Theory]
    [InlineData("# runtime: uml\nok - a\n", 0, "printed no '# vault scenario: PASS|FAIL' line (the scenario did not finish)")]
    [InlineData("# runtime: uml\nok - a\n# vault scenario: PASS (1 passed, 0 failed)\n", 3, "exited 3 after a PASS verdict")]
    public async Task An_unfinished_scenario_or_a_failing_runner_fails(string stdout, int exitCode, string expected)
    {
        var results = await RunAsync(stdout, exitCode);

        Assert.False(results[0].Passed);
        Assert.Contains(expected, results[0].Message);
    }

    [Fact]
    public async Task A_run_that_timed_out_fails_with_its_output_so_far()
    {
        var result = Assert.Single(await RunAsync("# runtime: uml\nok - a\n", exitCode: -1, timedOut: true));

        Assert.False(result.Passed);
        Assert.Contains("did not finish within 600 s", result.Message);
        Assert.Contains("ok - a", result.Message);
    }

    [Fact]
    public async Task A_missing_scenario_folder_fails_rather_than_skipping()
    {
        var check = new ScenarioCheck(GeneratedChecks.Vault, CheckResult.Generated, _temp.Path("smoke/vault"), TimeSpan.FromSeconds(5));

        var result = Assert.Single(await check.RunAsync(Context(new ScenarioOutput(0, "", "", false)), CancellationToken.None));

        Assert.False(result.Passed);
        Assert.Equal($"the vault scenario folder {_temp.Path("smoke/vault")} does not exist", result.Message);
        Assert.Null(_given);
    }

    [Fact]
    public async Task A_scenario_folder_without_its_scripts_cannot_run_and_says_which_are_missing()
    {
        _temp.Write("smoke/vault/scenario.sh", "#!/bin/sh\n", executable: true);

        var output = await VaultMachine.RunAsync(_engine.Images, _engine.Containers, new VaultRun(Strata.Oci.ImageReference.Parse("any:image"), "dev", _temp.Path("smoke/vault"), TimeSpan.FromSeconds(5)));

        Assert.Equal(1, output.ExitCode);
        Assert.Contains("# runtime: none", output.StdOut);
        Assert.Contains($"not ok - vault scenario ran: tap.sh, pty.sh, guest-init, vm-kernel.sh not found in {_temp.Path("smoke/vault")}", output.StdOut);
    }

    [Fact]
    public void The_JUnit_report_has_a_testcase_per_check_failures_with_messages_and_the_runtime()
    {
        var result = new SmokeResult("latest", Strata.Oci.ImageReference.Parse("strata/workstation:latest"),
        [
            new CheckResult("latest", "locale is UTF-8", CheckKind.Command, true, "", CheckResult.Generated, TimeSpan.FromSeconds(0.25)),
            new CheckResult("latest", "no secrets in the image", CheckKind.Secrets, false, "1 secret(s) found: private key in /etc/x", CheckResult.Generated, TimeSpan.Zero),
        ], "user-mode linux", null, TimeSpan.FromSeconds(2));

        var suite = SmokeReport.ToJUnit(result).Root!.Element("testsuite")!;

        Assert.Equal(("smoke.latest", "2", "1"), (suite.Attribute("name")!.Value, suite.Attribute("tests")!.Value, suite.Attribute("failures")!.Value));
        Assert.Equal("user-mode linux", suite.Descendants("property").Single(p => p.Attribute("name")!.Value == "vault.runtime").Attribute("value")!.Value);
        var cases = suite.Elements("testcase").ToList();
        Assert.Equal(["smoke.latest.command", "smoke.latest.secrets"], cases.Select(c => c.Attribute("classname")!.Value));
        Assert.Equal("0.250", cases[0].Attribute("time")!.Value);
        Assert.Null(cases[0].Element("failure"));
        Assert.Equal("1 secret(s) found: private key in /etc/x", cases[1].Element("failure")!.Attribute("message")!.Value);

        var path = Path.Combine(_temp.Root, "smoke", "latest.xml");
        SmokeReport.WriteJUnit(path, result);
        Assert.Equal("1", XDocument.Load(path).Root!.Element("testsuite")!.Attribute("failures")!.Value);
        Assert.Contains("latest  2       1       1       FAIL    user-mode linux", SmokeReport.Summary([result]));
    }
}
