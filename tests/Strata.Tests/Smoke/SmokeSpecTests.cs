using Strata.Graph;
using Strata.Smoke;
using Strata.Tests.Support;
using Strata.Tools;

namespace Strata.Tests.Smoke;

public sealed class SmokeSpecTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public SmokeSpecTests()
    {
        _repo.Write("Dockerfiles/Dockerfile.base", "FROM x\n")
            .Write("Dockerfiles/Dockerfile.k8s", "FROM x\n")
            .Write("Dockerfiles/Dockerfile.latest", "FROM x\n")
            .Write("strata.yaml", """
                repository: strata/test
                base_os:
                  image: debian:trixie-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
                  debootstrap: { suite: trixie, mirror: "http://deb.debian.org/debian" }
                images:
                  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
                  - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s }
                  - { name: latest, parent: k8s, dockerfile: Dockerfiles/Dockerfile.latest }
                """);
    }

    public void Dispose() => _repo.Dispose();

    private ImageGraph Graph() => GraphLoader.Load(_repo.Path("strata.yaml"));

    private static SmokeSpec Parse(string yaml) => SmokeSpecLoader.Parse(yaml, "base", "base.smoke.yaml");

    private static string Fails(string yaml) => Assert.Throws<StrataConfigException>(() => Parse(yaml)).Message;

    [Fact]
    public void Reads_every_kind_of_check()
    {
        var spec = Parse("""
            user: dev
            vault: true
            commands:
              - name: sudo works
                run: sudo -n true
                user: root
                login: true
                exit_code: 3
                stdout: '^ok$'
                stdout_not: [error, warn]
                stderr_empty: true
            files:
              - path: /etc/sudoers.d/dev
                owner: root:wheel
                mode: "0440"
                type: file
              - path: ~/.ssh/id_rsa
                exists: false
            env:
              - var: LANG
                value: en_US.UTF-8
              - var: PATH
                login: true
                pattern: '(^|:)/home/dev/\.local/bin(:|$)'
            labels:
              - label: dev.strata.image
                value: base
            """);

        Assert.Equal("dev", spec.User);
        Assert.True(spec.Vault);
        Assert.Equal(["sudo works", "file /etc/sudoers.d/dev exists", "file ~/.ssh/id_rsa is absent", "env LANG",
            "env PATH (login shell)", "label dev.strata.image"], spec.Checks.Select(c => c.Name));

        var command = Assert.IsType<CommandCheck>(spec.Checks[0]);
        Assert.Equal(("sudo -n true", "root", true, 3), (command.Run, command.User, command.Login, command.ExitCode));
        Assert.Equal("^ok$", Assert.Single(command.Stdout.Match).ToString());
        Assert.Equal(["error", "warn"], command.Stdout.NoMatch.Select(r => r.ToString()));
        Assert.True(command.Stderr.Empty);
        Assert.Equal("base.smoke.yaml:4", command.Origin);

        var file = Assert.IsType<FileCheck>(spec.Checks[1]);
        Assert.Equal(("root", "wheel", 0x120, "file", true), (file.Owner, file.Group, file.Mode!.Value, file.Type, file.Exists));
        Assert.False(Assert.IsType<FileCheck>(spec.Checks[2]).Exists);

        var env = Assert.IsType<EnvCheck>(spec.Checks[4]);
        Assert.True(env.Login);
        Assert.Matches(env.Pattern!, "/usr/bin:/home/dev/.local/bin");
        Assert.Equal("base", Assert.IsType<LabelCheck>(spec.Checks[5]).Value);
    }

    [Fact]
    public void An_unknown_key_names_the_file_line_and_the_allowed_keys()
    {
        var message = Fails("""
            commands:
              - name: a
                run: true
                stdot: x
            """);
        Assert.Equal("base.smoke.yaml: line 4: unknown key 'stdot' in a command check. Allowed keys: name, run, user, login, exit_code, stdout, stdout_not, stderr, stderr_not, stderr_empty, platforms.", message);
    }

    [Fact]
    public void A_bad_regex_names_the_line_and_the_check()
    {
        var message = Fails("""
            commands:
              - name: broken pattern
                run: true
                stdout: ['^ok(']
            """);
        Assert.StartsWith("base.smoke.yaml: line 4: 'stdout' in command check 'broken pattern': /^ok(/ is not a valid regex", message);
    }

    [Theory]
    [InlineData("commands:\n  - run: true\n", "line 2: a command check has no 'name'")]
    [InlineData("commands:\n  - { name: a, run: true }\n  - { name: a, run: false }\n", "line 3: check 'a' is declared twice (first on line 2)")]
    [InlineData("commands:\n  - { name: a, run: true, exit_code: x }\n", "line 2: command check 'a': exit_code must be a number from 0 to 255, not 'x'.")]
    [InlineData("files:\n  - { path: /x, mode: '0999' }\n", "line 2: file check 'file /x exists': mode '0999' must be octal")]
    [InlineData("files:\n  - { path: relative/x }\n", "line 2: file check 'file relative/x exists': path 'relative/x' must be absolute or start with ~/")]
    [InlineData("files:\n  - { path: /x, type: socket }\n", "line 2: file check 'file /x exists': type must be file, directory, symlink, not 'socket'.")]
    [InlineData("files:\n  - { path: /x, exists: false, owner: root }\n", "line 2: file check 'file /x is absent': a file that must not exist has no type, owner, group or mode.")]
    [InlineData("env:\n  - { var: LANG, value: C, pattern: C }\n", "line 2: env check 'env LANG': give either 'value' or 'pattern', not both.")]
    [InlineData("env:\n  - { var: LANG }\n", "line 2: env check 'env LANG' has neither 'value' nor 'pattern'; add one.")]
    [InlineData("labels:\n  - { value: x }\n", "line 2: a label check has no 'label'; add one.")]
    [InlineData("vault: maybe\n", "line 1: 'vault' in the top level must be true or false, not 'maybe'.")]
    [InlineData("commands: {}\n", "line 1: 'commands' must be a list of checks.")]
    [InlineData("checks: []\n", "line 1: unknown key 'checks' in the top level.")]
    public void Invalid_specs_fail_with_the_file_line_and_entry(string yaml, string expected)
    {
        var message = Fails(yaml);
        Assert.StartsWith("base.smoke.yaml: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void A_child_inherits_its_ancestors_checks_user_and_vault_and_overrides_by_name()
    {
        _repo.Write("Dockerfiles/base.smoke.yaml", """
                user: dev
                vault: true
                commands:
                  - { name: sudo, run: sudo -n true }
                  - { name: shell, run: bash --version }
                labels:
                  - { name: image label, label: dev.strata.image, value: base }
                """)
            .Write("Dockerfiles/k8s.smoke.yaml", """
                commands:
                  - { name: kubectl, run: kubectl version --client }
                labels:
                  - { name: image label, label: dev.strata.image, value: k8s }
                """)
            .Write("Dockerfiles/latest.smoke.yaml", """
                user: alice
                commands:
                  - { name: shell, run: zsh --version }
                """);
        var graph = Graph();

        var latest = SmokeSpecLoader.Resolve(graph, "latest");

        Assert.Equal("alice", latest.User);
        Assert.True(latest.Vault);
        Assert.Equal(["sudo", "shell", "image label", "kubectl"], latest.Checks.Select(c => c.Name));
        Assert.Equal("zsh --version", Assert.IsType<CommandCheck>(latest.Checks[1]).Run);
        Assert.Equal("latest.smoke.yaml:3", latest.Checks[1].Origin);
        Assert.Equal("k8s", Assert.IsType<LabelCheck>(latest.Checks[2]).Value);
        Assert.Equal(["Dockerfiles/base.smoke.yaml", "Dockerfiles/k8s.smoke.yaml", "Dockerfiles/latest.smoke.yaml"], latest.Sources);

        var baseSpec = SmokeSpecLoader.Resolve(graph, "base");
        Assert.Equal(["sudo", "shell", "image label"], baseSpec.Checks.Select(c => c.Name));
        Assert.Equal("bash --version", Assert.IsType<CommandCheck>(baseSpec.Checks[1]).Run);
        Assert.Equal("base", Assert.IsType<LabelCheck>(baseSpec.Checks[2]).Value);
    }

    [Fact]
    public void A_child_can_turn_the_vault_off_and_an_image_without_specs_runs_as_root_without_vault()
    {
        _repo.Write("Dockerfiles/base.smoke.yaml", "vault: true\n")
            .Write("Dockerfiles/latest.smoke.yaml", "vault: false\n");
        var graph = Graph();

        Assert.True(SmokeSpecLoader.Resolve(graph, "k8s").Vault);
        Assert.False(SmokeSpecLoader.Resolve(graph, "latest").Vault);
        File.Delete(_repo.Path("Dockerfiles/base.smoke.yaml"));
        var k8s = SmokeSpecLoader.Resolve(graph, "k8s");
        Assert.Equal(("root", false), (k8s.User, k8s.Vault));
        Assert.Empty(k8s.Checks);
    }

    [Fact]
    public void An_error_in_an_ancestors_spec_names_that_file()
    {
        _repo.Write("Dockerfiles/base.smoke.yaml", "commands:\n  - { name: a, run: true, exit: 1 }\n");
        var message = Assert.Throws<StrataConfigException>(() => SmokeSpecLoader.Resolve(Graph(), "latest")).Message;
        Assert.StartsWith("base.smoke.yaml: line 2: unknown key 'exit' in a command check.", message);
    }

    private static ToolSet Tools() => ToolsFile.Parse("""
        tools:
          - { name: sops, repository: getsops/sops, image: base, asset: "sops-{version}", sha256: { checksums_file: sums } }
          - { name: helm, repository: helm/helm, image: k8s, asset: "helm-{version}", sha256: { checksums_file: sums }, version_command: helm version --short }
          - { name: yazi, repository: sxyazi/yazi, image: k8s, asset: "yazi-{version}", sha256: { checksums_file: sums } }
          - { name: gemini-cli, kind: npm, repository: google-gemini/gemini-cli, package: "@google/gemini-cli", image: latest }
        """);

    private static ToolLock Lock() => ToolLock.Parse("""
        { "version": 1, "tools": {
            "sops": { "version": "3.13.0", "tag": "v3.13.0" },
            "helm": { "version": "3.19.2", "tag": "v3.19.2" },
            "gemini-cli": { "version": "0.61.0", "tag": "v0.61.0" } } }
        """);

    [Fact]
    public void A_command_may_expect_other_output_on_a_platform_and_its_proof_key_follows_that_platforms_expectation()
    {
        _repo.Write("Dockerfiles/base.smoke.yaml", """
            commands:
              - name: the machine
                run: uname -m
                stdout: ['^x86_64$']
                platforms:
                  linux/arm64: { stdout: ['^aarch64$'] }
            """);
        CommandCheck On(Strata.Oci.Platform? platform) => (CommandCheck)SmokeSuite.Plan(Graph(), "base", Tools(), Lock(),
            new SmokeOptions { Platform = platform }).Checks.Single(c => c.Name == "the machine");

        Assert.Equal("^x86_64$", On(Strata.Oci.Platform.LinuxAmd64).Stdout.Match.Single().ToString());
        Assert.Equal("^aarch64$", On(Strata.Oci.Platform.LinuxArm64).Stdout.Match.Single().ToString());
        Assert.Equal("^x86_64$", On(null).Stdout.Match.Single().ToString());
        Assert.Empty(On(Strata.Oci.Platform.LinuxArm64).ByPlatform); // resolved: nothing left to differ in a proof key

        var e = Assert.Throws<StrataConfigException>(() => Parse("""
            commands:
              - name: the machine
                run: uname -m
                platforms:
                  linux/sparc: { stdout: [x] }
            """));
        Assert.Contains("base.smoke.yaml: line 5:", e.Message);
        Assert.Contains("unknown architecture 'sparc'", e.Message);
    }

    [Fact]
    public void Generated_checks_cover_the_tools_of_the_image_and_its_ancestors_and_fail_unpinned_ones()
    {
        _repo.Write("Dockerfiles/base.smoke.yaml", "user: dev\nvault: true\n");
        var plan = SmokeSuite.Plan(Graph(), "k8s", Tools(), Lock(), new SmokeOptions());

        var sops = Assert.IsType<ToolVersionCheck>(plan.Checks.Single(c => c.Name == GeneratedChecks.ToolCheckName("sops")));
        Assert.Equal(("sops --version", "3.13.0"), (sops.Command, sops.Version));
        var helm = Assert.IsType<ToolVersionCheck>(plan.Checks.Single(c => c.Name == GeneratedChecks.ToolCheckName("helm")));
        Assert.Equal(("helm version --short", "3.19.2"), (helm.Command, helm.Version));
        var yazi = Assert.IsType<FailedCheck>(plan.Checks.Single(c => c.Name == GeneratedChecks.ToolCheckName("yazi")));
        Assert.Equal("tool 'yazi' (installed by image 'k8s') is not pinned in tools.lock.json; run the pin task.", yazi.Reason);
        Assert.DoesNotContain(plan.Checks, c => c.Name.Contains("gemini-cli", StringComparison.Ordinal));

        var names = plan.Checks.Select(c => c.Name).ToList();
        Assert.Contains(GeneratedChecks.Locale, names);
        Assert.Contains(GeneratedChecks.LoginShell, names);
        Assert.Contains(GeneratedChecks.NoSecrets, names);
        Assert.Contains(GeneratedChecks.DefaultCommand, names);
        // What is specific to the workstation (dotfiles, ~/secrets) comes from its spec, never generated.
        Assert.DoesNotContain("~/secrets is empty or absent", names);
        Assert.DoesNotContain("dotfiles-apply is installed", names);
        var vault = Assert.IsType<ScenarioCheck>(plan.Checks.Single(c => c.Name == GeneratedChecks.Vault));
        Assert.Equal(Path.Combine(_repo.Root, "smoke", "vault"), vault.Directory);
    }

    [Fact]
    public void A_spec_check_replaces_a_generated_check_of_the_same_name_and_no_vault_means_no_scenario()
    {
        _repo.Write("Dockerfiles/base.smoke.yaml", """
            commands:
              - name: locale is UTF-8
                run: locale
                stdout: '^LANG=C\.UTF-8$'
            """);
        var plan = SmokeSuite.Plan(Graph(), "base", Tools(), Lock(), new SmokeOptions());

        var locale = Assert.IsType<CommandCheck>(Assert.Single(plan.Checks, c => c.Name == GeneratedChecks.Locale));
        Assert.Equal("base.smoke.yaml:2", locale.Origin);
        Assert.DoesNotContain(plan.Checks, c => c is ScenarioCheck);
    }

    [Fact]
    public void The_real_specs_load_for_every_image_and_latest_inherits_from_base()
    {
        var graph = GraphLoader.Load(Path.Combine(RepositoryRoot.Find(), "strata.yaml"));
        var tools = ToolsFile.Load(Path.Combine(graph.RootDirectory, "tools.yaml"));
        foreach (var image in graph.Images)
        {
            Assert.True(File.Exists(SmokeSpecLoader.PathFor(graph, image.Name)), $"{image.Name} has no smoke spec");
            var plan = SmokeSuite.Plan(graph, image.Name, tools, ToolLock.Empty, new SmokeOptions());
            Assert.Equal("dev", plan.Spec.User);
            Assert.True(plan.Spec.Vault);
            var label = Assert.IsType<LabelCheck>(plan.Checks.Single(c => c.Name == "the image label names the image"));
            Assert.Equal(image.Name, label.Value);
            Assert.Contains(plan.Checks, c => c.Name == "dotfiles-apply is installed" && c.Origin.StartsWith("base.smoke.yaml:", StringComparison.Ordinal));
        }
        var latest = SmokeSuite.Plan(graph, "latest", tools, ToolLock.Empty, new SmokeOptions());
        Assert.Contains(latest.Checks, c => c.Name == "sudo needs no password" && c.Origin.StartsWith("base.smoke.yaml:", StringComparison.Ordinal));
        Assert.Contains(latest.Checks, c => c.Name == GeneratedChecks.ToolCheckName("gemini-cli"));
    }

    [Fact]
    public void Tools_yaml_takes_an_optional_version_command()
    {
        var tools = ToolsFile.Parse("""
            tools:
              - { name: a, repository: o/a, image: base, asset: "a-{version}", sha256: { checksums_file: s }, version_command: a version }
              - { name: b, repository: o/b, image: base, asset: "b-{version}", sha256: { checksums_file: s } }
            """);
        Assert.Equal("a version", tools.Get("a").VersionCommandOrDefault);
        Assert.Equal("b --version", tools.Get("b").VersionCommandOrDefault);
    }
}
