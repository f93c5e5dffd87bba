using Strata.Graph;
using Strata.Smoke;
using Strata.Tests.Support;
using Strata.Tools;

namespace Strata.Tests.Smoke;

/// <summary>What a remembered smoke pass is keyed by: everything that decides a pass, nothing else.</summary>
public sealed class SmokeProofTests : IDisposable
{
    private const string ImageKey = "1111111111111111111111111111111111111111111111111111111111111111";
    private readonly List<TempRepo> _repos = [];

    public void Dispose() => _repos.ForEach(r => r.Dispose());

    private TempRepo Repo(string spec = "commands:\n  - name: c\n    run: \"true\"\n")
    {
        var repo = new TempRepo()
            .Write("strata.yaml", """
                repository: t/proof
                base_os: { image: "debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132", debootstrap: { suite: trixie, variant: minbase, mirror: "http://deb.debian.org/debian" } }
                images:
                  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
                """)
            .Write("Dockerfiles/Dockerfile.base", "FROM scratch\n")
            .Write("Dockerfiles/base.smoke.yaml", spec)
            .Write("smoke/vault/guest-init", "#!/bin/sh\necho '@@END@@'\n", executable: true);
        _repos.Add(repo);
        return repo;
    }

    private static string Key(TempRepo repo, SmokeOptions? options = null, string imageKey = ImageKey)
    {
        var graph = GraphLoader.Load(repo.Path("strata.yaml"));
        options ??= new SmokeOptions();
        var plan = SmokeSuite.Plan(graph, "base", new ToolSet("tools.yaml", []), ToolLock.Empty, options);
        return SmokeProof.Key(graph, imageKey, plan, options);
    }

    [Fact]
    public void The_same_checks_in_another_clone_give_the_same_key_and_moving_a_check_in_its_file_too()
    {
        var a = Repo();
        var b = Repo("# a comment that moves the check one line down\ncommands:\n  - name: c\n    run: \"true\"\n");
        Assert.Equal(Key(a), Key(b));
    }

    [Fact]
    public void A_changed_spec_check_a_changed_generated_check_or_new_patterns_change_the_key()
    {
        var repo = Repo();
        var before = Key(repo);

        Assert.NotEqual(before, Key(repo, imageKey: new string('2', 64)));
        // A generated check (the locale one) defined differently in C# options.
        Assert.NotEqual(before, Key(repo, new SmokeOptions { Locale = "C.UTF-8" }));
        Assert.NotEqual(before, Key(repo, new SmokeOptions { SecretPatterns = [new("token", "tok_[a-z]{8}")] }));
        repo.Write("Dockerfiles/base.smoke.yaml", "commands:\n  - name: c\n    run: \"false\"\n");
        Assert.NotEqual(before, Key(repo));
    }

    [Fact]
    public void With_the_vault_scenario_its_files_are_part_of_the_key_and_without_it_they_are_not()
    {
        var repo = Repo("commands:\n  - name: c\n    run: \"true\"\n");
        var without = Key(repo);
        repo.Write("smoke/vault/guest-init", "#!/bin/sh\necho changed\n", executable: true);
        Assert.Equal(without, Key(repo));

        repo.Write("Dockerfiles/base.smoke.yaml", "vault: true\n");
        var with = Key(repo);
        repo.Write("smoke/vault/guest-init", "#!/bin/sh\necho changed again\n", executable: true);
        Assert.NotEqual(with, Key(repo));
    }
}
