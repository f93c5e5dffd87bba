using Strata.Tools;
using Xunit;

namespace Strata.Tests.Tools;

public sealed class ToolsFileTests
{
    private static string RepoFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, name)) && File.Exists(Path.Combine(dir.FullName, "Strata.slnx")))
                return Path.Combine(dir.FullName, name);
        throw new FileNotFoundException(name);
    }

    [Fact]
    public void The_real_tools_yaml_loads()
    {
        var tools = ToolsFile.Load(RepoFile("tools.yaml"));

        Assert.Equal(["helm", "talosctl", "kubectl", "k9s", "sops", "infisical", "yazi", "gemini-cli"], tools.Tools.Select(t => t.Name));
        var helm = Assert.IsType<BinaryTool>(tools.Get("helm"));
        Assert.Equal("helm-v3.19.1-linux-arm64.tar.gz", helm.AssetName("3.19.1", "v3.19.1", "arm64"));
        Assert.Equal(new Sha256Source.Sha256Url("{url}.sha256sum"), helm.Sha256);
        Assert.False(helm.Range.Satisfies(NuGet.Versioning.NuGetVersion.Parse("4.0.0")));
        var yazi = Assert.IsType<BinaryTool>(tools.Get("yazi"));
        Assert.Equal("yazi-aarch64-unknown-linux-gnu.zip", yazi.AssetName("25.5.31", "v25.5.31", "arm64"));
        Assert.Equal("yazi-x86_64-unknown-linux-gnu/yazi", yazi.BinaryPathIn("25.5.31", "v25.5.31", "amd64"));
        Assert.IsType<Sha256Source.Digest>(yazi.Sha256);
        var kubectl = Assert.IsType<BinaryTool>(tools.Get("kubectl"));
        Assert.Equal("https://dl.k8s.io/release/v1.35.2/bin/linux/arm64/kubectl",
            kubectl.Render(kubectl.Url!, "1.35.2", "v1.35.2", "arm64", "kubectl", null));
        var sops = Assert.IsType<BinaryTool>(tools.Get("sops"));
        var sums = Assert.IsType<Sha256Source.ChecksumsFile>(sops.Sha256);
        Assert.Equal("sops-v3.13.3.checksums.txt", sops.Render(sums.NameTemplate, "3.13.3", "v3.13.3", "amd64", null, null));
        var gemini = Assert.IsType<NpmTool>(tools.Get("gemini-cli"));
        Assert.Equal("@google/gemini-cli@0.61.0", gemini.NpmSpec("0.61.0"));
        Assert.Equal(["helm", "talosctl", "kubectl", "k9s"], tools.ForImage("k8s").Select(t => t.Name));
    }

    private const string Helm = """
        tools:
          - name: helm
            repository: helm/helm
            image: k8s
            asset: helm-v{version}-linux-{arch}.tar.gz
            format: tar.gz
            binary: linux-{arch}/helm
        """;

    [Theory]
    [InlineData("    colour: blue\n", "line 8: unknown key 'colour' in a tool entry")]
    [InlineData("    range: \"3.19\"\n", "line 8: tool 'helm': range '3.19' is not a version range")]
    [InlineData("    range: \"[3.19,\"\n", "line 8: tool 'helm': range '[3.19,' is not a version range")]
    [InlineData("    sha256: { checksums_file: \"sums-{flavour}.txt\" }\n", "line 8: tool 'helm': 'checksums_file' uses unknown placeholder {flavour}")]
    [InlineData("    sha256: sha512\n", "line 8: tool 'helm': sha256 must be 'digest'")]
    [InlineData("    arch_names: { riscv64: rv64 }\n", "tool 'helm': arch_names has 'riscv64'")]
    [InlineData("    package: helm\n", "line 8: tool 'helm': 'package' is only for kind: npm")]
    [InlineData("    url: https://get.helm.sh/{asset}\n", "tool 'helm' downloads from its own url, so the release asset digest does not apply")]
    public void Mistakes_are_reported_with_file_line_and_tool(string extra, string expected)
    {
        var e = Assert.Throws<StrataConfigException>(() => ToolsFile.Parse(Helm + "\n" + extra));
        Assert.StartsWith("tools.yaml: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void An_archive_needs_the_binary_path_and_a_raw_download_has_none()
    {
        var noBinary = Assert.Throws<StrataConfigException>(() => ToolsFile.Parse(Helm.Replace("\n    binary: linux-{arch}/helm", "")));
        Assert.Contains("tool 'helm' is a tar.gz archive but has no 'binary'", noBinary.Message);
        var raw = Assert.Throws<StrataConfigException>(() => ToolsFile.Parse(Helm.Replace("format: tar.gz", "format: raw")));
        Assert.Contains("a raw download has none", raw.Message);
    }

    [Fact]
    public void An_npm_tool_takes_no_asset_settings_and_names_must_be_unique()
    {
        const string npm = """
            tools:
              - name: gemini-cli
                kind: npm
                repository: google-gemini/gemini-cli
                package: "@google/gemini-cli"
                image: gemini
                asset: gemini-{version}.tgz
            """;
        Assert.Contains("line 7: tool 'gemini-cli' is an npm tool: 'asset' does not apply",
            Assert.Throws<StrataConfigException>(() => ToolsFile.Parse(npm)).Message);
        var twice = Helm + "\n" + Helm["tools:\n".Length..];
        Assert.Contains("line 8: tool 'helm' is declared twice",
            Assert.Throws<StrataConfigException>(() => ToolsFile.Parse(twice)).Message);
    }

    [Theory]
    [InlineData("v", "v1.2.3", "1.2.3")]
    [InlineData("v", "v1.33.0-rc.1", "1.33.0-rc.1")]
    [InlineData("v", "nightly", null)]
    [InlineData("v", "helm-v1.2.3", null)]
    [InlineData("v", "vnext", null)]
    [InlineData("infisical-cli/v", "infisical-cli/v0.31.1", "0.31.1")]
    [InlineData("infisical-cli/v", "infisical/v0.99.0-postgres", null)]
    [InlineData("infisical-cli/v", "v0.31.1", null)]
    [InlineData("", "25.5.31", "25.5.31")]
    public void Tags_map_to_versions_through_the_prefix(string prefix, string tag, string? version)
    {
        var tool = ToolsFile.Parse($"""
            tools:
              - name: t
                repository: o/r
                image: base
                tag_prefix: "{prefix}"
                asset: t-{"{arch}"}
            """).Tools.Single();
        Assert.Equal(version, tool.VersionOf(tag)?.ToNormalizedString());
    }
}
