using Strata.IO;
using Strata.Smoke;
using Strata.Tests.Support;

namespace Strata.Tests.Smoke;

/// <summary>
/// The vault scenario's harness (smoke/vault/tap.sh, the real file) on a toy scenario whose "machine" is a file: a
/// filtered run brings each selected check's set-up along, resets when the state it needs cannot be reached, and says
/// which checks ran only as set-up; the declarations are verified before anything runs. Plain bash, no machine.
/// </summary>
public sealed class ScenarioHarnessTests : IDisposable
{
    private readonly TempRepo _temp = new();

    public void Dispose() => _temp.Dispose();

    // Each check logs its name; "open" and "write" change the machine, the others only look at it.
    private const string Toy = """
        #!/usr/bin/env bash
        set -uo pipefail
        . "$TAP"
        log() { echo "$1" >>"$LOG"; }
        has() { grep -qx "$1" "$MACHINE"; }
        TAP_PREPARE=prep; prep() { log prepare; }
        TAP_RESET=reset; reset() { log reset; [[ -z ${FAIL_RESET:-} ]] || { REPLY="the toy machine would not reset"; return 1; }; : >"$MACHINE"; }
        c_start() { log start; [[ ! -s $MACHINE ]] || { echo "not at start: $(paste -sd, "$MACHINE")"; return 1; }; }
        c_open() { log open; [[ ! -s $MACHINE ]] || { echo "already open"; return 1; }; echo open >>"$MACHINE"; }
        c_write() { log write; has open || { echo "not open"; return 1; }; [[ ${FAIL:-} != write ]] || { echo "write failed"; return 1; }; echo note >>"$MACHINE"; }
        c_read() { log read; has note || { echo "no note"; return 1; }; }
        c_close() { log close; has open || { echo "not open"; return 1; }; : >"$MACHINE"; }
        c_closed() { log closed; [[ ! -s $MACHINE ]] || { echo "still: $(paste -sd, "$MACHINE")"; return 1; }; }
        check "starts locked" c_start
        check --leaves=open "opens" c_open
        check --needs=open --leaves='open note' "writes a note" c_write
        check --needs=note "reads the note" c_read
        check --needs=open --leaves=locked "closes" c_close
        check "is closed" c_closed
        finish
        """;

    private sealed record Run(int Exit, List<string> Lines, List<string> Log)
    {
        public List<string> Tap => Lines.Where(l => l.StartsWith("ok - ", StringComparison.Ordinal) || l.StartsWith("not ok - ", StringComparison.Ordinal)).ToList();
        public string Verdict => Lines.Single(l => l.StartsWith(ScenarioCheck.VerdictPrefix, StringComparison.Ordinal));
    }

    private async Task<Run> RunAsync(string script = Toy, params (string Name, string Value)[] environment)
    {
        _temp.Write("toy.sh", script, executable: true);
        File.WriteAllText(_temp.Path("machine"), "");
        File.WriteAllText(_temp.Path("log"), "");
        var env = new Dictionary<string, string>
        {
            ["TAP"] = Path.Combine(RepositoryRoot.Find(), "smoke", "vault", "tap.sh"), ["MACHINE"] = _temp.Path("machine"), ["LOG"] = _temp.Path("log"),
        };
        foreach (var (name, value) in environment) env[name] = value;
        var lines = new List<string>();
        var exit = await ChildProcess.RunAsync("bash", [_temp.Path("toy.sh")], lines.Add, null, CancellationToken.None, env);
        return new Run(exit, lines, [.. File.ReadAllLines(_temp.Path("log"))]);
    }

    [Fact]
    public async Task Unfiltered_every_check_runs_once_in_order_with_no_set_up_and_no_reset()
    {
        var run = await RunAsync();

        Assert.Equal(0, run.Exit);
        Assert.Equal(["ok - starts locked", "ok - opens", "ok - writes a note", "ok - reads the note", "ok - closes", "ok - is closed"], run.Tap);
        Assert.Equal(["prepare", "start", "open", "write", "read", "close", "closed"], run.Log);
        Assert.Equal("# vault scenario: PASS (6 passed, 0 failed)", run.Verdict);
    }

    [Fact]
    public async Task A_filtered_check_brings_the_checks_that_make_its_state_along_as_set_up()
    {
        var run = await RunAsync(Toy, ("VAULT_CHECKS", "reads"));

        Assert.Equal(0, run.Exit);
        Assert.Equal(["ok - [set-up] opens", "ok - [set-up] writes a note", "ok - reads the note"], run.Tap);
        Assert.Equal(["prepare", "open", "write", "read"], run.Log);
        Assert.Equal("# vault scenario: PASS (3 passed, 0 failed, filtered: reads; 2 ran as set-up)", run.Verdict);

        // Strata's reader: the set-up steps are marked, and named without the mark.
        var tap = ScenarioTap.Read("# runtime: toy\n" + string.Join("\n", run.Lines), run.Exit);
        Assert.True(tap.Passed);
        Assert.Equal([("opens", true), ("writes a note", true), ("reads the note", false)], tap.Steps.Select(s => (s.Name, s.SetUp)));
    }

    [Fact]
    public async Task A_check_whose_state_cannot_be_reached_from_the_machines_comes_after_a_reset()
    {
        // After "reads the note" the toy machine is open; "is closed" needs it as it started. Without the reset it fails.
        var run = await RunAsync(Toy, ("VAULT_CHECKS", "reads|is closed"));

        Assert.Equal(0, run.Exit);
        Assert.Equal(["ok - [set-up] opens", "ok - [set-up] writes a note", "ok - reads the note", "ok - is closed"], run.Tap);
        Assert.Equal(["prepare", "open", "write", "read", "reset", "closed"], run.Log);
        Assert.Contains("# reset: the machine is back in its start state (locked)", run.Lines);
    }

    [Fact]
    public async Task A_set_up_that_fails_fails_the_run_and_the_check_that_needed_it_says_it_did_not_run()
    {
        var run = await RunAsync(Toy, ("VAULT_CHECKS", "reads|closes"), ("FAIL", "write"));

        Assert.Equal(1, run.Exit);
        Assert.Equal(["ok - [set-up] opens", "not ok - [set-up] writes a note: write failed", "not ok - reads the note: not run: its set-up 'writes a note' failed",
            // the state is unknown after a failure: the next check starts from a reset
            "ok - [set-up] opens", "ok - closes"], run.Tap);
        Assert.Equal(["prepare", "open", "write", "reset", "open", "close"], run.Log);
        Assert.Equal("# vault scenario: FAIL (3 passed, 2 failed, filtered: reads|closes; 3 ran as set-up)", run.Verdict);
        var tap = ScenarioTap.Read("# runtime: toy\n" + string.Join("\n", run.Lines), run.Exit);
        Assert.False(tap.Passed);
        Assert.Equal(("writes a note", false, true, "write failed"), tap.Steps.Select(s => (s.Name, s.Passed, s.SetUp, s.Reason)).ElementAt(1));
    }

    [Fact]
    public async Task A_reset_that_fails_is_reported_as_set_up_and_the_check_does_not_run()
    {
        var run = await RunAsync(Toy, ("VAULT_CHECKS", "reads|is closed"), ("FAIL_RESET", "1"));

        Assert.Equal(1, run.Exit);
        Assert.Equal(["not ok - [set-up] the machine is reset to its start state: the toy machine would not reset",
            "not ok - is closed: not run: the reset before it failed"], run.Tap[^2..]);
    }

    [Fact]
    public async Task Alone_every_check_runs_after_a_reset_with_only_its_own_set_up()
    {
        var run = await RunAsync(Toy, ("VAULT_CHECKS_ALONE", "1"));

        Assert.Equal(0, run.Exit);
        Assert.Equal(["prepare", "reset", "start", "reset", "open", "reset", "open", "write", "reset", "open", "write", "read",
            "reset", "open", "close", "reset", "closed"], run.Log);
        Assert.Equal(6, run.Tap.Count(l => !l.Contains("[set-up]", StringComparison.Ordinal)));
        Assert.Equal("# vault scenario: PASS (10 passed, 0 failed, each check alone; 4 ran as set-up)", run.Verdict);
    }

    [Fact]
    public async Task The_plan_says_what_a_run_would_do_and_runs_nothing()
    {
        var run = await RunAsync(Toy, ("VAULT_PLAN", "1"), ("VAULT_CHECKS", "reads|is closed"));

        Assert.Equal(0, run.Exit);
        Assert.Equal(["plan: set-up opens", "plan: set-up writes a note", "plan: check reads the note", "plan: reset", "plan: check is closed"], run.Lines);
        Assert.Empty(run.Log); // not even the preparation
    }

    [Theory]
    // A check that needs what the checks before it do not leave (here: its set-up was not declared).
    [InlineData("check --needs=note \"reads the note\"", "check \"reads the note\"",
        "not ok - the scenario's checks declare the states they need and leave: 'reads the note' needs 'locked', but the checks before it leave: open note")]
    [InlineData("check --needs=open --leaves=locked \"closes\"", "check --needs=shut --leaves=locked \"closes\"",
        "not ok - the scenario's checks declare the states they need and leave: 'closes' needs 'shut', but the checks before it leave: open note")]
    [InlineData("check \"is closed\"", "check \"opens\"",
        "not ok - the scenario's checks declare the states they need and leave: two checks are named 'opens'")]
    [InlineData("check \"is closed\"", "check --need=locked \"is closed\"",
        "not ok - the scenario declares its checks: check: unknown option '--need=locked' (--needs=STATE, --leaves='STATE...')")]
    public async Task Declarations_that_do_not_add_up_fail_before_anything_runs(string declared, string instead, string expected)
    {
        var run = await RunAsync(Toy.Replace(declared, instead, StringComparison.Ordinal));

        Assert.Equal(1, run.Exit);
        Assert.Equal([expected], run.Tap);
        Assert.Empty(run.Log);
        Assert.StartsWith("# vault scenario: FAIL (0 passed, 1 failed", run.Verdict);
    }

    [Theory]
    [InlineData("nothing like it", "not ok - VAULT_CHECKS selects checks: no check name matches 'nothing like it' (an extended regular expression matched against names such as 'starts locked')")]
    [InlineData("(", "not ok - VAULT_CHECKS is a valid extended regular expression: '(' is not")]
    public async Task A_filter_that_selects_nothing_or_is_no_regex_says_so(string filter, string expected)
    {
        var run = await RunAsync(Toy, ("VAULT_CHECKS", filter));

        Assert.Equal(1, run.Exit);
        Assert.Equal([expected], run.Tap);
        Assert.Empty(run.Log);
    }
}

/// <summary>
/// The real scenario's declarations (smoke/vault/scenario.sh with VAULT_PLAN=1: nothing runs, no machine): the full
/// scenario is unchanged by them, and a run filtered to exactly one check, for every check, brings only earlier
/// checks along as its set-up. That those set-ups suffice on a real vault is what --vault-checks-alone shows.
/// </summary>
public sealed class VaultScenarioPlanTests
{
    private static async Task<List<string>> PlanAsync(params (string Name, string Value)[] environment)
    {
        var env = new Dictionary<string, string> { ["VAULT_PLAN"] = "1" };
        foreach (var (name, value) in environment) env[name] = value;
        var lines = new List<string>();
        var errors = new List<string>();
        var exit = await ChildProcess.RunAsync("bash", [Path.Combine(RepositoryRoot.Find(), "smoke", "vault", "scenario.sh"), "dev"], lines.Add, errors.Add,
            CancellationToken.None, env);
        Assert.True(exit == 0, string.Join("\n", lines.Concat(errors)));
        return lines;
    }

    /// <summary>An extended regular expression that matches exactly this text.</summary>
    private static string Exactly(string text) => "^" + System.Text.RegularExpressions.Regex.Replace(text, @"[\\.\[\](){}*+?|^$]", @"\$0") + "$";

    [Fact]
    public async Task The_full_scenario_is_every_check_once_in_order_with_no_set_up_and_no_reset()
    {
        var plan = await PlanAsync();

        Assert.All(plan, l => Assert.StartsWith("plan: check ", l));
        Assert.Equal(34, plan.Count); // smoke/vault/README.md numbers them
        Assert.Equal("plan: check vault preflight passes as dev", plan[0]);
        Assert.Equal("plan: check final state: locked, nothing left", plan[^1]);
    }

    [Fact]
    public async Task Filtered_to_exactly_one_check_each_check_runs_once_after_earlier_checks_as_its_set_up()
    {
        var names = (await PlanAsync()).Select(l => l["plan: check ".Length..]).ToList();
        var setUps = new Dictionary<string, List<string>>();
        foreach (var name in names)
        {
            var plan = await PlanAsync(("VAULT_CHECKS", Exactly(name)));

            Assert.Equal($"plan: check {name}", plan[^1]);
            var setUp = plan[..^1];
            Assert.All(setUp, l => Assert.StartsWith("plan: set-up ", l)); // no reset: the machine starts as the set-up needs
            var before = setUp.Select(l => names.IndexOf(l["plan: set-up ".Length..])).ToList();
            Assert.All(before, i => Assert.InRange(i, 0, names.IndexOf(name) - 1));
            Assert.Equal(before.Order(), before);
            setUps[name] = [.. setUp.Select(l => l["plan: set-up ".Length..])];
        }

        // What the issue's false failures needed: the file written, the vault locked by a lock, the crashed session's vault.
        Assert.Equal(["unlock", "write and read"], setUps.Single(s => s.Key.StartsWith("second unlock", StringComparison.Ordinal)).Value.Select(Short));
        Assert.Equal(["unlock", "lock --erase"], setUps.Single(s => s.Key.StartsWith("while locked", StringComparison.Ordinal)).Value.Select(Short));
        Assert.Equal(["wrong passphrase", "the sealed vault reopens"], setUps.Single(s => s.Key.StartsWith("two unlocks", StringComparison.Ordinal)).Value.Select(Short));
        Assert.Equal(["wrong passphrase"], setUps.Single(s => s.Key.StartsWith("stale mapping", StringComparison.Ordinal)).Value.Select(Short));
        Assert.Empty(setUps.Single(s => s.Key.StartsWith("Ctrl+C (SIGINT)", StringComparison.Ordinal)).Value);
        static string Short(string name) => name.StartsWith("unlock a new vault", StringComparison.Ordinal) ? "unlock"
            : name.StartsWith("write and read", StringComparison.Ordinal) ? "write and read"
            : name.StartsWith("lock --erase", StringComparison.Ordinal) ? "lock --erase"
            : name.StartsWith("wrong passphrase", StringComparison.Ordinal) ? "wrong passphrase"
            : name.StartsWith("the sealed vault reopens", StringComparison.Ordinal) ? "the sealed vault reopens" : name;
    }
}

/// <summary>The vault-scenario target asks the scenario's plan first: a filter that cannot select anything fails in a second.</summary>
public sealed class ScenarioPlanProblemTests
{
    private static string Directory => Path.Combine(RepositoryRoot.Find(), "smoke", "vault");

    [Theory]
    [InlineData("lock", false, null)]
    [InlineData(null, true, null)]
    [InlineData("nothing like it", false, "VAULT_CHECKS selects checks: no check name matches 'nothing like it' (an extended regular expression matched against names such as 'vault preflight passes as dev')")]
    [InlineData("two unlocks (", true, "VAULT_CHECKS is a valid extended regular expression: 'two unlocks (' is not")]
    public async Task The_plan_says_what_is_wrong_with_a_filter_before_any_machine_boots(string? only, bool alone, string? expected) =>
        Assert.Equal(expected, await ScenarioPlan.ProblemAsync(Directory, "dev", only, alone, CancellationToken.None));
}
