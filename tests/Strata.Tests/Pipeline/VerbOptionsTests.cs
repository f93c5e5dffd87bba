using Strata.Pipeline;
using Strata.Tests.Support;

namespace Strata.Tests.Pipeline;

/// <summary>Each verb's options type: what it reads from the command line, its defaults, its errors, and the warnings about options given to the wrong target.</summary>
public sealed class VerbOptionsTests
{
    /// <summary>Each verb's options type: its names and its parser.</summary>
    private static readonly (VerbOptionNames Names, Func<CommandLine, object> Parse)[] Parsers =
    [
        (PinVerbOptions.Names, PinVerbOptions.From), (BumpPrVerbOptions.Names, BumpPrVerbOptions.From), (TestVerbOptions.Names, TestVerbOptions.From),
        (ReleaseVerbOptions.Names, ReleaseVerbOptions.From), (VerifyVerbOptions.Names, VerifyVerbOptions.From),
        (PruneVerbOptions.Names, PruneVerbOptions.From), (VaultScenarioVerbOptions.Names, VaultScenarioVerbOptions.From),
    ];

    [Fact]
    public void Each_verb_reads_its_own_options()
    {
        Assert.Equal(new PinVerbOptions { Check = true, Tool = "kubectl", GitHubApi = "https://ghe.example/api/v3" },
            PinVerbOptions.From(CommandLines.Of("target=pin", "check", "tool=kubectl", "github-api=https://ghe.example/api/v3")));
        Assert.Equal(new BumpPrVerbOptions { Repository = "team/strata", Dispatch = "ci.yml", GitHubApi = "https://ghe.example/api/v3" },
            BumpPrVerbOptions.From(CommandLines.Of("repository=team/strata", "dispatch=ci.yml", "github-api=https://ghe.example/api/v3")));
        Assert.Equal(new TestVerbOptions { Filter = "Needs!=Engine" }, TestVerbOptions.From(CommandLines.Of("filter=Needs!=Engine")));
        Assert.Equal(new ReleaseVerbOptions { ReleaseTag = "v2.0.1" }, ReleaseVerbOptions.From(CommandLines.Of("release-tag=v2.0.1")));
        Assert.Equal(new VerifyVerbOptions { Image = "k8s", Rebuild = true }, VerifyVerbOptions.From(CommandLines.Of("image=k8s", "rebuild")));
        Assert.Equal(new PruneVerbOptions { Keep = 0, DryRun = true }, PruneVerbOptions.From(CommandLines.Of("keep=0", "dry-run")));
        Assert.Equal(new VaultScenarioVerbOptions { Image = "k8s", VaultChecks = "two unlocks|lock", VaultChecksAlone = true, VaultOverride = "/tmp/vault", VaultBench = true },
            VaultScenarioVerbOptions.From(CommandLines.Of("image=k8s", "vault-checks=two unlocks|lock", "vault-checks-alone", "vault-override=/tmp/vault", "vault-bench")));
    }

    [Fact]
    public void Without_their_options_the_verbs_take_the_defaults()
    {
        var none = CommandLines.Of();
        Assert.Equal(new PinVerbOptions(), PinVerbOptions.From(none));
        Assert.Equal(new BumpPrVerbOptions(), BumpPrVerbOptions.From(none));
        Assert.Equal(new TestVerbOptions(), TestVerbOptions.From(none));
        Assert.Equal(new ReleaseVerbOptions(), ReleaseVerbOptions.From(none));
        Assert.Equal(new VerifyVerbOptions(), VerifyVerbOptions.From(none));
        Assert.Equal(2, PruneVerbOptions.From(none).Keep);
        Assert.Equal(new VaultScenarioVerbOptions(), VaultScenarioVerbOptions.From(none));
        // An empty value is no value; =false leaves a flag off.
        Assert.Null(PinVerbOptions.From(CommandLines.Of("tool=")).Tool);
        Assert.False(PruneVerbOptions.From(CommandLines.Of("dry-run=false")).DryRun);
    }

    [Fact]
    public void A_release_tags_the_version_github_actions_runs_for_unless_the_command_line_names_one()
    {
        var tagRun = new Dictionary<string, string?> { ["GITHUB_REF_TYPE"] = "tag", ["GITHUB_REF_NAME"] = "v1.4.0" };
        Assert.Equal("v1.4.0", ReleaseVerbOptions.From(CommandLines.Of(tagRun)).ReleaseTag);
        Assert.Equal("v9", ReleaseVerbOptions.From(CommandLines.Of(tagRun, "release-tag=v9")).ReleaseTag);
        Assert.Null(ReleaseVerbOptions.From(CommandLines.Of(new Dictionary<string, string?> { ["GITHUB_REF_TYPE"] = "branch", ["GITHUB_REF_NAME"] = "v1.4.0" })).ReleaseTag);
    }

    [Fact]
    public void A_wrong_value_names_the_option_and_what_it_takes()
    {
        Assert.Equal("--keep=two: give a number of earlier plans, 0 or more.",
            Assert.Throws<OptionException>(() => PruneVerbOptions.From(CommandLines.Of("keep=two"))).Message);
        Assert.Equal("--keep=-1: give a number of earlier plans, 0 or more.",
            Assert.Throws<OptionException>(() => PruneVerbOptions.From(CommandLines.Of("keep=-1"))).Message);
        Assert.Equal("--release-tag 'v1/2' is not a valid image tag part (letters, digits, '_', '.', '-').",
            Assert.Throws<OptionException>(() => ReleaseVerbOptions.From(CommandLines.Of("release-tag=v1/2"))).Message);
        // A flag given a value it does not take was read as off: now it says so.
        Assert.Equal("--dry-run=yes: --dry-run is a flag; give it alone (--dry-run), or --dry-run=false to leave it off.",
            Assert.Throws<OptionException>(() => PruneVerbOptions.From(CommandLines.Of("dry-run=yes"))).Message);
        Assert.Contains("--rebuild=1: --rebuild is a flag",
            Assert.Throws<OptionException>(() => VerifyVerbOptions.From(CommandLines.Of("rebuild=1"))).Message);
    }

    [Fact]
    public void Every_option_a_verb_declares_is_read_by_it_and_no_other()
    {
        // Each parser may read only the names it declares (it throws otherwise), so the typo warning's lists are what is read.
        Assert.Equal(OptionNames.Verbs, Parsers.Select(p => p.Names));
        foreach (var (names, parse) in Parsers)
        {
            var line = CommandLines.Of([$"target={names.Targets[0]}", .. names.Options]);
            parse(line);
            Assert.Empty(OptionNames.Warnings(line));
        }
        var undeclared = Assert.Throws<InvalidOperationException>(() => CommandLines.Of().Reading(["keep"]).Value("dry-run"));
        Assert.Contains("--dry-run is read by a parser that does not declare it", undeclared.Message);
    }

    [Fact]
    public void An_option_no_target_reads_is_a_typo_and_another_targets_option_says_whose_it_is()
    {
        Assert.Equal(["--kep is not an option of Strata or Cake and is ignored (a typo?)."],
            OptionNames.Warnings(CommandLines.Of("target=plan", "kep=3")));
        Assert.Equal(["--keep is an option of --target=prune, not of --target=plan, and is ignored."],
            OptionNames.Warnings(CommandLines.Of("target=plan", "keep=3")));
        Assert.Equal(["--github-api is an option of --target=pin and of --target=bump-pr, not of --target=Default, and is ignored."],
            OptionNames.Warnings(CommandLines.Of("github-api=https://ghe.example")));
        Assert.Equal(["--release-tag is an option of --target=release or release-index, not of --target=verify, and is ignored."],
            OptionNames.Warnings(CommandLines.Of("target=verify", "release-tag=v1", "image=base")));
        // The run's options, Cake's, and the target's own are no misuse; target names are case-insensitive, as Cake's are.
        Assert.Empty(OptionNames.Warnings(CommandLines.Of("target=PRUNE", "keep=1", "platform=all", "verbosity=diagnostic", "skip-tools")));
        Assert.Empty(OptionNames.Warnings(CommandLines.Of("target=vault-scenario", "image=k8s", "vault-runtime=uml")));
    }
}
