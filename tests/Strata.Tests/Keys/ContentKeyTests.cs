using Strata.Graph;
using Strata.Images;
using Strata.Tests.Support;

namespace Strata.Tests.Keys;

/// <summary>Keys depend on content only: never on paths, times, creation order, user or machine.</summary>
public class ContentKeyTests : IDisposable
{
    private readonly List<TempRepo> _repos = [];

    public void Dispose() => _repos.ForEach(r => r.Dispose());

    private const string Yaml = """
        repository: strata/test
        base_os:
          image: debian:trixie-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
          debootstrap: { suite: trixie, mirror: "http://deb.debian.org/debian" }
        exclude: ["**/*.swp"]
        args: { USERNAME: dev }
        dotfiles:
          dockerfile: Dockerfiles/Dockerfile.dotfiles
          inputs: [dotfiles]
        images:
          - { name: base, dockerfile: Dockerfiles/Dockerfile.base, inputs: [config] }
          - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s }
        """;

    private static readonly (string Path, string Content)[] Files =
    [
        ("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY config /etc/x\n"),
        ("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n"),
        ("Dockerfiles/Dockerfile.dotfiles", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY dotfiles /d\n"),
        ("config/a.conf", "a=1\n"),
        ("config/sub/b.conf", "b=2\n"),
        ("dotfiles/bash/.bashrc", "echo hi\n"),
        ("dotfiles/scripts/tool", "#!/bin/sh\n"),
    ];

    private TempRepo NewRepo(bool reverseOrder = false, DateTime? mtime = null)
    {
        var repo = new TempRepo();
        _repos.Add(repo);
        foreach (var (path, content) in reverseOrder ? Files.Reverse() : Files)
        {
            repo.Write(path, content, executable: path.StartsWith("dotfiles/scripts/"));
            if (mtime is { } t) File.SetLastWriteTimeUtc(repo.Path(path), t);
        }
        repo.Symlink("config/link.conf", "a.conf");
        repo.Write("strata.yaml", Yaml);
        return repo;
    }

    private static BuildPlan Plan(TempRepo repo, string? yaml = null) =>
        BuildPlanner.Plan(GraphLoader.Parse(yaml ?? Yaml, repo.Root), new PlanOptions { HostCa = HostCaMode.Off });

    private static (string Base, string BaseCore, string K8s, string K8sCore) Keys(BuildPlan plan) =>
        (plan.Get("base").Key, plan.Get("base").Core.Key, plan.Get("k8s").Key, plan.Get("k8s").Core.Key);

    [Fact]
    public void The_same_tree_in_two_folders_with_other_times_and_creation_order_has_the_same_keys()
    {
        var a = NewRepo(reverseOrder: false, mtime: new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var b = NewRepo(reverseOrder: true, mtime: new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.NotEqual(a.Root, b.Root);
        Assert.Equal(Keys(Plan(a)), Keys(Plan(b)));
    }

    [Fact]
    public void Planning_twice_gives_the_same_keys()
    {
        var repo = NewRepo();
        Assert.Equal(Keys(Plan(repo)), Keys(Plan(repo)));
    }

    [Fact]
    public void Changing_one_byte_of_an_input_changes_the_image_and_its_descendants_but_not_others()
    {
        var repo = NewRepo();
        var before = Keys(Plan(repo));
        repo.Write("config/sub/b.conf", "b=3\n");
        var after = Keys(Plan(repo));
        Assert.NotEqual(before.BaseCore, after.BaseCore);
        Assert.NotEqual(before.Base, after.Base);
        Assert.NotEqual(before.K8sCore, after.K8sCore); // the parent's key is an input of the child
        Assert.NotEqual(before.K8s, after.K8s);
    }

    [Fact]
    public void Changing_the_executable_bit_changes_the_key()
    {
        var repo = NewRepo();
        var before = Plan(repo).Get("base").Core.Key;
        File.SetUnixFileMode(repo.Path("config/a.conf"), File.GetUnixFileMode(repo.Path("config/a.conf")) | UnixFileMode.UserExecute);
        Assert.NotEqual(before, Plan(repo).Get("base").Core.Key);
    }

    [Fact]
    public void Renaming_a_file_changes_the_key()
    {
        var repo = NewRepo();
        var before = Plan(repo).Get("base").Core.Key;
        File.Move(repo.Path("config/sub/b.conf"), repo.Path("config/sub/c.conf"));
        Assert.NotEqual(before, Plan(repo).Get("base").Core.Key);
    }

    [Fact]
    public void Changing_a_symlink_target_changes_the_key()
    {
        var repo = NewRepo();
        var before = Plan(repo).Get("base").Core.Key;
        File.Delete(repo.Path("config/link.conf"));
        repo.Symlink("config/link.conf", "sub/b.conf");
        Assert.NotEqual(before, Plan(repo).Get("base").Core.Key);
    }

    [Fact]
    public void Changing_a_build_arg_changes_the_key()
    {
        var repo = NewRepo();
        var before = Keys(Plan(repo));
        var after = Keys(Plan(repo, Yaml.Replace("USERNAME: dev", "USERNAME: ops")));
        Assert.NotEqual(before.BaseCore, after.BaseCore);
    }

    [Fact]
    public void Changing_the_dockerfile_changes_the_key()
    {
        var repo = NewRepo();
        var before = Keys(Plan(repo));
        repo.Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN true\n");
        var after = Keys(Plan(repo));
        Assert.Equal(before.BaseCore, after.BaseCore);
        Assert.Equal(before.Base, after.Base);
        Assert.NotEqual(before.K8sCore, after.K8sCore);
    }

    [Fact]
    public void An_excluded_file_changes_nothing_and_is_not_in_the_context()
    {
        var repo = NewRepo();
        var before = Keys(Plan(repo));
        repo.Write("config/.a.conf.swp", "editor junk");
        var plan = Plan(repo);
        Assert.Equal(before, Keys(plan));
        Assert.DoesNotContain(plan.Get("base").Core.Files, f => f.ContextPath.EndsWith(".swp"));
    }

    [Fact]
    public void A_dotfile_edit_changes_only_the_published_keys_never_a_core_key()
    {
        var repo = NewRepo();
        var before = Plan(repo);
        repo.Write("dotfiles/bash/.bashrc", "echo changed\n");
        var after = Plan(repo);
        Assert.Equal(before.Get("base").Core.Key, after.Get("base").Core.Key);
        Assert.Equal(before.Get("k8s").Core.Key, after.Get("k8s").Core.Key);
        Assert.NotEqual(before.Get("base").Key, after.Get("base").Key);
        Assert.NotEqual(before.Get("k8s").Key, after.Get("k8s").Key);
        // The cache-bust arg is the dotfiles' own hash: it moves exactly with them.
        Assert.NotEqual(before.Get("base").Published.BuildArgs[BuildPlanner.DotfilesHashArg],
            after.Get("base").Published.BuildArgs[BuildPlanner.DotfilesHashArg]);
    }

    [Fact]
    public void The_dotfiles_hash_arg_does_not_change_when_other_inputs_change()
    {
        var repo = NewRepo();
        var before = Plan(repo).Get("base").Published.BuildArgs[BuildPlanner.DotfilesHashArg];
        repo.Write("config/a.conf", "a=2\n");
        Assert.Equal(before, Plan(repo).Get("base").Published.BuildArgs[BuildPlanner.DotfilesHashArg]);
    }

    [Fact]
    public void Tags_carry_the_image_name_and_the_first_12_hex_of_the_key()
    {
        var plan = Plan(NewRepo());
        var k8s = plan.Get("k8s");
        Assert.Equal($"strata/test:k8s-{k8s.Key[..12]}", k8s.Published.KeyTag.ToString());
        Assert.Equal($"strata/test:k8s-core-{k8s.Core.Key[..12]}", k8s.Core.KeyTag.ToString());
        Assert.Equal("strata/test:k8s", k8s.MovingTag.ToString());
        Assert.Matches("^[0-9a-f]{64}$", k8s.Key);
    }

    [Fact]
    public void The_context_holds_exactly_the_dockerfile_and_the_declared_inputs()
    {
        var plan = Plan(NewRepo());
        Assert.Equal(
            ["Dockerfiles/Dockerfile.base", "config/a.conf", "config/link.conf", "config/sub/b.conf"],
            plan.Get("base").Core.Files.Select(f => f.ContextPath));
        Assert.Equal(
            ["Dockerfiles/Dockerfile.dotfiles", "dotfiles/bash/.bashrc", "dotfiles/scripts/tool"],
            plan.Get("base").Published.Files.Select(f => f.ContextPath).Order(StringComparer.Ordinal));
    }
}
