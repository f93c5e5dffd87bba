using Strata.Packages;
using Strata.Tests.Support;

namespace Strata.Tests.Packages;

/// <summary>The package names an image installs are read from its Dockerfile, exactly, or the Dockerfile is refused.</summary>
public class AptInstallTests
{
    private const string Header = "FROM x\nCOPY .strata/apt/ /usr/local/share/strata/apt/\nARG APT_CONFIG=/usr/local/share/strata/apt/apt.conf\n";

    [Fact]
    public void The_real_base_dockerfile_names_its_packages_in_order_without_recommends()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "Dockerfiles/Dockerfile.base"));
        var install = AptInstall.Read(text, "Dockerfile.base")!;
        Assert.True(install.NoInstallRecommends);
        Assert.Equal(["locales", "ca-certificates", "sudo"], install.Packages.Take(3));
        Assert.Contains("cryptsetup-bin", install.Packages);
        Assert.Equal("bsdutils", install.Packages[^1]);
        Assert.DoesNotContain(install.Packages, p => p.StartsWith('-') || p.Contains('&'));
    }

    [Theory]
    [InlineData("RUN apt-get update && apt-get install -y jq curl && rm -rf /var/lib/apt/lists/*", new[] { "jq", "curl" }, false)]
    [InlineData("RUN apt-get -q install --no-install-recommends -y jq; echo done", new[] { "jq" }, true)]
    [InlineData("RUN apt-get update \\\n && apt-get install -y \\\n    git \\\n    # a comment line inside\n    tmux\n", new[] { "git", "tmux" }, false)]
    [InlineData("RUN apt install -y libc6:arm64 | tee /log", new[] { "libc6:arm64" }, false)]
    [InlineData("RUN apt-get install -y aa\nRUN apt-get install -y --no-install-recommends bb aa", new[] { "aa", "bb" }, false)]
    public void Reads_the_names_of_every_install(string run, string[] expected, bool noRecommends)
    {
        var install = AptInstall.Read(Header + run, "Dockerfile")!;
        Assert.Equal(expected, install.Packages);
        Assert.Equal(noRecommends, install.NoInstallRecommends);
    }

    [Theory]
    [InlineData("RUN apt-get update && apt-get remove -y jq")]
    [InlineData("RUN echo apt-get is not run here")]
    [InlineData("# RUN apt-get install -y jq")]
    public void A_dockerfile_that_installs_nothing_has_no_install(string run) =>
        Assert.Null(AptInstall.Read(Header + run, "Dockerfile"));

    [Theory]
    [InlineData("RUN apt-get install -y $PACKAGES", "'$PACKAGES' in apt-get install is not a package name Strata can read")]
    [InlineData("RUN apt-get install -y jq=1.7.1-6", "versions are pinned in packages.lock.json, not in the Dockerfile; write the name alone ('jq')")]
    [InlineData("RUN apt-get install -y 'jq'", "is not a package name Strata can read")]
    [InlineData("RUN apt-get install -y Jq", "'Jq' is not a Debian package name")]
    public void A_list_strata_cannot_read_exactly_is_refused_with_the_line(string run, string message)
    {
        var e = Assert.Throws<StrataConfigException>(() => AptInstall.Read(Header + run, "Dockerfile.x"));
        Assert.Contains("Dockerfile.x: line 4:", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("FROM x\nRUN apt-get install -y jq")]
    [InlineData("FROM x\nCOPY .strata/apt/ /usr/local/share/strata/apt/\nRUN apt-get install -y jq")]
    [InlineData("FROM x\nRUN apt-get install -y jq\nCOPY .strata/apt/ /usr/local/share/strata/apt/\nARG APT_CONFIG=/usr/local/share/strata/apt/apt.conf")]
    public void An_install_without_the_lock_lines_before_it_is_refused_with_the_lines_to_add(string dockerfile)
    {
        var e = Assert.Throws<StrataConfigException>(() => AptInstall.Read(dockerfile, "Dockerfile.y"));
        Assert.Contains("apt-get install runs without the package lock", e.Message);
        Assert.Contains("COPY .strata/apt/ /usr/local/share/strata/apt/", e.Message);
        Assert.Contains("ARG APT_CONFIG=/usr/local/share/strata/apt/apt.conf", e.Message);
    }
}
