using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Smoke;
using Strata.Tests.Support;
using Strata.Tools;
using Xunit.Abstractions;

namespace Strata.Tests.Smoke;

/// <summary>
/// The suite on the real engine: the real specs on the real base image must pass, and images broken on
/// purpose (built here FROM base) must fail on exactly the checks that find their fault.
/// </summary>
[Trait("Needs", "Engine")]
public sealed class SmokeIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{

    // Split so that no secret scanner ever flags this source file.
    private static readonly string KeyHeader = "-----BEGIN " + "OPENSSH PRIVATE KEY-----";
    private static readonly string AwsKey = "AKIA" + "Z7QXSMOKETESTKEY";
    // A key inside JSON, as in a cloud service-account file: the newlines are escaped.
    private static readonly string JsonKey = "{\"private_key\": \"" + KeyHeader + "\\nMIIEvQIBADANBg\\n\"}";

    // Checks of this workstation, declared in Dockerfiles/base.smoke.yaml.
    private const string DotfilesApply = "dotfiles-apply is installed";
    private const string SecretsFolder = "~/secrets is empty or absent";

    private readonly DockerEngine _docker = new();
    private readonly TempRepo _temp = new();
    private ThrowawayImages _images = null!;
    private readonly StringBuilder _log = new();
    private ImageGraph _graph = null!;
    private string _baseRef = "";

    public async Task InitializeAsync()
    {
        await _docker.VersionAsync();
        _images = new ThrowawayImages(_docker, "strata-smoke-test");
        _graph = GraphLoader.Load(Path.Combine(RepositoryRoot.Find(), "strata.yaml"));
        // This checkout's base, by its content key: reused when built already (the moving tag
        // strata/workstation:base may hold another branch's build), built with Strata itself otherwise.
        _baseRef = await BuildChainAsync("base");
    }

    public async Task DisposeAsync()
    {
        await _images.DisposeAsync();
        _temp.Dispose();
    }

    private void Log(string line)
    {
        lock (_log) _log.AppendLine(line);
        output.WriteLine(line);
    }

    private SmokeOptions Options() => new()
    {
        Images = _docker.Images,
        Containers = _docker.Containers,
        ReportDirectory = _temp.Path("artifacts/smoke"),
        // A fake scenario run (the real one is VaultScenarioIntegrationTests' subject): what it is
        // given, that its progress is shown as it comes, and that its lines become checks.
        RunVault = (_, _, run, progress, _) => { progress("# booting the fake machine"); return Task.FromResult(new ScenarioOutput(0, $"""
            # runtime: fake scenario for {run.ImageRef} as {run.User}
            ok - volume opens
            ok - secret reads back
            # vault scenario: PASS (2 passed, 0 failed)
            """, "", TimedOut: false)); },
        VaultProofDirectory = null, // the fake scenario proves nothing to keep
    };

    private static ToolSet Tools(string extra = "") => ToolsFile.Parse($$"""
        tools:
          - { name: jq, repository: jqlang/jq, image: base, asset: "jq-linux-{arch}", sha256: digest, version_command: jq --version }
        {{extra}}
        """);

    private static ToolLock Lock(string extra = "") => ToolLock.Parse($$"""
        { "version": 1, "tools": { "jq": { "version": "1.7", "tag": "jq-1.7" } {{extra}} } }
        """);

    /// <summary>Builds a broken image FROM base; removed on dispose.</summary>
    private async Task<string> BuildBrokenAsync(string name, string steps) => (await _images.BuildAsync(name, $"FROM {_baseRef}\n{steps}\n")).ToString();

    private async Task<SmokeResult> RunAsync(string imageRef, ToolSet? tools = null, ToolLock? toolLock = null,
        CancellationToken ct = default) =>
        await SmokeSuite.RunAsync(_graph, "base", Strata.Oci.ImageReference.Parse(imageRef), tools ?? Tools(), toolLock ?? Lock(), Options(), Log, ct);

    private async Task AssertContainerGoneAsync(string container)
    {
        Assert.False(await _docker.Containers.ContainerExistsAsync(container), $"container {container} is still there");
    }

    private static void AssertFailsExactly(SmokeResult result, params string[] names) =>
        Assert.Equal(names.Order(), result.Failures.Select(f => f.Name).Order());

    private static string FailureOf(SmokeResult result, string name) =>
        Assert.Single(result.Failures, f => f.Name == name).Message;

    [Fact]
    public async Task The_real_base_image_passes_its_real_spec_and_the_generated_checks()
    {
        var result = await RunAsync(_baseRef);

        Assert.True(result.Passed, "failures: " + string.Join("\n", result.Failures.Select(f => $"{f.Name}: {f.Message}")));
        var names = result.Checks.Select(c => c.Name).ToList();
        foreach (var expected in new[]
                 {
                     "sudo needs no password", "file /etc/sudoers.d/dev exists", "env LANG", "the image label names the image",
                     GeneratedChecks.ToolCheckName("jq"), GeneratedChecks.Locale, GeneratedChecks.LoginShell,
                     GeneratedChecks.DefaultCommand, DotfilesApply, "nvim config is in place", "~/.local/bin is on the login PATH",
                     GeneratedChecks.NoSecrets, SecretsFolder, GeneratedChecks.Vault,
                     "vault scenario: volume opens", "vault scenario: secret reads back",
                 })
            Assert.Contains(expected, names);
        Assert.Equal($"fake scenario for {_baseRef} as dev", result.VaultRuntime);
        Assert.Contains($"[base] ok   {GeneratedChecks.Locale}", _log.ToString());
        Assert.Contains("[base]      vault | # booting the fake machine", _log.ToString());

        var junit = XDocument.Load(result.ReportPath!);
        Assert.Equal(_temp.Path("artifacts/smoke/base.xml"), result.ReportPath);
        var suite = junit.Root!.Element("testsuite")!;
        Assert.Equal(result.Checks.Count.ToString(), suite.Attribute("tests")!.Value);
        Assert.Equal("0", suite.Attribute("failures")!.Value);
        Assert.Empty(suite.Descendants("failure"));
        await AssertContainerGoneAsync(result.Container!);
    }

    [Fact]
    public async Task The_real_latest_image_passes_the_checks_it_inherits_from_the_whole_chain()
    {
        // This checkout's own keyed image (reused when it exists): the moving tag may hold another branch's build.
        var latestRef = await BuildChainAsync("latest");
        var tools = Tools("""
              - { name: gemini-cli, kind: npm, repository: google-gemini/gemini-cli, package: "@google/gemini-cli", image: gemini, version_command: gemini --version }
            """);

        var result = await SmokeSuite.RunAsync(_graph, "latest", Strata.Oci.ImageReference.Parse(latestRef), tools,
            Lock(""", "gemini-cli": { "version": "0.61.0", "tag": "v0.61.0" }"""), Options(), Log);

        Assert.True(result.Passed, "failures: " + string.Join("\n", result.Failures.Select(f => $"{f.Name}: {f.Message}")));
        var origins = result.Checks.GroupBy(c => c.Origin.Split(':')[0]).Select(g => g.Key).Order().ToList();
        Assert.Equal(["base.smoke.yaml", "gemini.smoke.yaml", "generated", "k8s.smoke.yaml", "latest.smoke.yaml"], origins);
        var label = Assert.Single(result.Checks, c => c.Name == "the image label names the image");
        Assert.StartsWith("latest.smoke.yaml:", label.Origin);
        Assert.Contains(result.Checks, c => c.Name == GeneratedChecks.ToolCheckName("gemini-cli") && c.Passed);
        Assert.True(File.Exists(_temp.Path("artifacts/smoke/latest.xml")));
    }

    private Task<string> BuildChainAsync(string image) => RealChain.BuildAsync(_docker, image, Log);

    [Fact]
    public async Task A_tool_at_another_version_than_the_lock_fails_and_an_unpinned_tool_fails_as_not_pinned()
    {
        var image = await BuildBrokenAsync("wrong-tool", """
            USER root
            RUN printf '#!/bin/sh\necho "faketool 1.0.0"\n' > /usr/local/bin/faketool && chmod 755 /usr/local/bin/faketool
            USER dev
            """);
        var tools = Tools("""
              - { name: faketool, repository: o/faketool, image: base, asset: "f-{version}", sha256: digest }
              - { name: unpinned, repository: o/unpinned, image: base, asset: "u-{version}", sha256: digest }
            """);

        var result = await RunAsync(image, tools, Lock(""", "faketool": { "version": "2.0.0", "tag": "v2.0.0" }"""));

        AssertFailsExactly(result, GeneratedChecks.ToolCheckName("faketool"), GeneratedChecks.ToolCheckName("unpinned"));
        Assert.Equal("'faketool --version' printed 'faketool 1.0.0', which does not contain the locked version 2.0.0",
            FailureOf(result, GeneratedChecks.ToolCheckName("faketool")));
        Assert.Contains("tool 'unpinned' (installed by image 'base') is not pinned in tools.lock.json",
            FailureOf(result, GeneratedChecks.ToolCheckName("unpinned")));
        var junit = XDocument.Load(result.ReportPath!);
        var failure = junit.Descendants("testcase").Single(t => t.Attribute("name")!.Value == GeneratedChecks.ToolCheckName("faketool")).Element("failure")!;
        Assert.Contains("locked version 2.0.0", failure.Attribute("message")!.Value);
        Assert.Equal("2", junit.Root!.Element("testsuite")!.Attribute("failures")!.Value);
        await AssertContainerGoneAsync(result.Container!);
    }

    [Fact]
    public async Task An_image_without_a_UTF8_locale_fails_the_locale_checks()
    {
        var image = await BuildBrokenAsync("no-utf8", "ENV LANG=C LC_ALL=C");

        var result = await RunAsync(image);

        AssertFailsExactly(result, GeneratedChecks.Locale, "env LANG", "env LC_ALL", "a login shell keeps the UTF-8 locale");
        var message = FailureOf(result, GeneratedChecks.Locale);
        Assert.Contains("stdout does not match /^LANG=\"?en_US\\.UTF-8\"?$/", message);
        Assert.Contains("LANG=C", message);
        Assert.Equal("LANG is 'C', expected 'en_US.UTF-8'", FailureOf(result, "env LANG"));
    }

    [Fact]
    public async Task Secrets_left_in_the_image_are_found_with_their_kind_and_path()
    {
        var image = await BuildBrokenAsync("secret", $"""
            RUN mkdir -p /home/dev/.config/app \
             && printf '%s\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n' '{KeyHeader}' > /home/dev/.config/app/deploy_key
            USER root
            # ~/secrets is read-only for the user while the vault is locked: a build step as root leaves a file there.
            RUN echo 'hunter2' > /home/dev/secrets/password
            RUN echo 'aws_access_key_id = {AwsKey}' > /etc/app.conf \
             && printf '%s\n' '{JsonKey}' > /opt/service-account.json \
             && mkdir -p /usr/local/lib/parser \
             && printf 'const re = /(%s.*?)/s;\nconst blob = "AAAAAKEAAAB0{AwsKey}AAAAAKIAAAB0";\n' '{KeyHeader}' > /usr/local/lib/parser/pem.js
            USER dev
            """);

        var result = await RunAsync(image);

        AssertFailsExactly(result, GeneratedChecks.NoSecrets, SecretsFolder);
        var message = FailureOf(result, GeneratedChecks.NoSecrets);
        // Code that only parses keys, and a base64 blob that happens to hold "AKIA...", are not secrets.
        Assert.StartsWith("3 secret(s) found: ", message);
        Assert.Contains("private key in /home/dev/.config/app/deploy_key", message);
        Assert.Contains("private key in /opt/service-account.json", message);
        Assert.DoesNotContain("/usr/local/lib/parser/pem.js", message);
        Assert.Contains("AWS access key in /etc/app.conf", message);
        Assert.DoesNotContain(AwsKey, message); // the report names files, never the secret itself
        Assert.Contains("/home/dev/secrets holds: password", FailureOf(result, SecretsFolder));
    }

    [Fact]
    public async Task An_image_without_a_default_command_fails_the_default_command_check()
    {
        // What an image built on a `docker import`ed OS is like when no Dockerfile declares a CMD.
        var image = await BuildBrokenAsync("no-cmd", "CMD []");

        var result = await RunAsync(image);

        AssertFailsExactly(result, GeneratedChecks.DefaultCommand);
        var message = FailureOf(result, GeneratedChecks.DefaultCommand);
        Assert.Contains("(no command) exited", message);
        Assert.Contains("Give the image a CMD", message);
    }

    [Fact]
    public async Task A_login_shell_that_prints_an_error_fails_the_login_shell_check()
    {
        var image = await BuildBrokenAsync("noisy-login", """
            USER root
            RUN echo 'no_such_command_smoke' > /etc/profile.d/zz-broken.sh
            USER dev
            """);

        var result = await RunAsync(image);

        AssertFailsExactly(result, GeneratedChecks.LoginShell);
        var message = FailureOf(result, GeneratedChecks.LoginShell);
        Assert.StartsWith("stderr must be empty but was: ", message);
        Assert.Contains("no_such_command_smoke: command not found", message);
    }

    [Fact]
    public async Task A_missing_image_fails_without_starting_a_container()
    {
        var result = await RunAsync("strata-smoke-test/missing:nope");

        var failure = Assert.Single(result.Checks);
        Assert.Equal(("image exists", false), (failure.Name, failure.Passed));
        Assert.Contains("strata-smoke-test/missing:nope was not found", failure.Message);
        Assert.Null(result.Container);
    }

    [Fact]
    public async Task Cancelling_a_run_removes_its_container()
    {
        using var cts = new CancellationTokenSource();
        string? container = null;
        void CancelOnFirstCheck(string line)
        {
            Log(line);
            if (Regex.Match(line, @"in container (\S+):") is { Success: true } m) container = m.Groups[1].Value;
            if (line.StartsWith("[base] ok ", StringComparison.Ordinal)) cts.Cancel();
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SmokeSuite.RunAsync(_graph, "base", Strata.Oci.ImageReference.Parse(_baseRef), Tools(), Lock(), Options(), CancelOnFirstCheck, cts.Token));

        Assert.NotNull(container);
        await AssertContainerGoneAsync(container);
        Assert.False(File.Exists(_temp.Path("artifacts/smoke/base.xml")));
    }
}
