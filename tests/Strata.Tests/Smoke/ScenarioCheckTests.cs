using System.Xml.Linq;
using Strata.Engine;
using Strata.Smoke;
using Strata.Tests.Support;

namespace Strata.Tests.Smoke;

/// <summary>The external scenario contract (smoke/vault/run.sh IMAGE), with fake scripts: no engine needed.</summary>
public sealed class ScenarioCheckTests : IDisposable
{
    private readonly TempRepo _temp = new();

    public void Dispose() => _temp.Dispose();

    private static SmokeContext Context() =>
        new(new DockerEngine(), "unused", "latest", "strata/workstation:latest-0123456789ab", "dev",
            new Dictionary<string, string>(), new SmokeOptions());

    private async Task<IReadOnlyList<CheckResult>> RunAsync(string body, int timeoutSeconds = 60)
    {
        _temp.Write("run.sh", "#!/bin/sh\n" + body + "\n", executable: true);
        var check = new ScenarioCheck(GeneratedChecks.Vault, CheckResult.Generated, _temp.Path("run.sh"), TimeSpan.FromSeconds(timeoutSeconds));
        return await check.RunAsync(Context(), CancellationToken.None);
    }

    [Fact]
    public async Task Each_TAP_line_is_a_check_and_the_runtime_line_is_recorded()
    {
        var results = await RunAsync("""
            for image; do :; done
            echo "# runtime: user-mode linux for $image"
            echo "ok - luks volume opens"
            echo "some debug output"
            echo "not ok - secret reads back: expected 'hunter2', got ''"
            echo "not ok - volume closes"
            echo "# vault scenario: FAIL (1 passed, 2 failed)"
            exit 1
            """);

        Assert.Equal(["vault scenario", "vault scenario: luks volume opens", "vault scenario: secret reads back", "vault scenario: volume closes"],
            results.Select(r => r.Name));
        Assert.True(results[0].Passed);
        Assert.Equal("user-mode linux for strata/workstation:latest-0123456789ab", results[0].ScenarioRuntime);
        Assert.Equal([true, true, false, false], results.Select(r => r.Passed));
        Assert.Equal("expected 'hunter2', got ''", results[2].Message);
        Assert.Equal("failed (no reason given)", results[3].Message);
    }

    [Fact]
    public async Task The_script_gets_the_spec_user_and_a_timeout_below_the_checks_own()
    {
        var results = await RunAsync("""
            echo "# runtime: args $*"
            echo "ok - a"
            echo "# vault scenario: PASS (1 passed, 0 failed)"
            """, timeoutSeconds: 600);

        Assert.True(results[0].Passed, results[0].Message);
        Assert.Equal("args --user dev --timeout 540 strata/workstation:latest-0123456789ab", results[0].ScenarioRuntime);
    }

    [Fact]
    public async Task No_runtime_line_fails()
    {
        var results = await RunAsync("echo 'ok - volume opens'; echo '# vault scenario: PASS (1 passed, 0 failed)'");

        Assert.False(results[0].Passed);
        Assert.Contains("printed no '# runtime: ...' line", results[0].Message);
        Assert.Null(results[0].ScenarioRuntime);
        Assert.True(results[1].Passed);
    }

    [Fact]
    public async Task No_checks_fails_even_with_exit_0()
    {
        var result = Assert.Single(await RunAsync("echo '# runtime: uml'; echo '# vault scenario: PASS (0 passed, 0 failed)'"));

        Assert.False(result.Passed);
        Assert.Contains("printed no 'ok - NAME' / 'not ok - NAME: REASON' lines (exit 0)", result.Message);
        Assert.Equal("uml", result.ScenarioRuntime);
    }

    [Theory]
    [InlineData("echo '# runtime: uml'; echo 'ok - a'; exit 0", "printed no '# vault scenario: PASS|FAIL' line (the scenario did not finish)")]
    [InlineData("echo '# runtime: uml'; echo 'ok - a'; echo '# vault scenario: PASS (1 passed, 0 failed)'; exit 3", "exited 3 after a PASS verdict")]
    public async Task An_unfinished_scenario_or_a_failing_runner_fails(string body, string expected)
    {
        var results = await RunAsync(body);

        Assert.False(results[0].Passed);
        Assert.Contains(expected, results[0].Message);
    }

    [Fact]
    public async Task A_missing_script_fails_rather_than_skipping()
    {
        var check = new ScenarioCheck(GeneratedChecks.Vault, CheckResult.Generated, _temp.Path("smoke/vault/run.sh"), TimeSpan.FromSeconds(5));

        var result = Assert.Single(await check.RunAsync(Context(), CancellationToken.None));

        Assert.False(result.Passed);
        Assert.Equal($"the scenario script {_temp.Path("smoke/vault/run.sh")} does not exist", result.Message);
    }

    [Fact]
    public async Task A_script_that_hangs_is_stopped_and_fails()
    {
        var result = Assert.Single(await RunAsync("echo '# runtime: uml'; exec sleep 30", timeoutSeconds: 1));

        Assert.False(result.Passed);
        Assert.Contains("did not finish within 1 s", result.Message);
    }

    [Fact]
    public void The_JUnit_report_has_a_testcase_per_check_failures_with_messages_and_the_runtime()
    {
        var result = new SmokeResult("latest", "strata/workstation:latest",
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
