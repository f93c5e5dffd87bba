using Strata.Bumps;
using Strata.Graph;
using Strata.Tests.Support;
using Strata.Tools;

namespace Strata.Tests.Bumps;

/// <summary>What the bump pull request tells its reviewer, per image and platform, on the real strata.yaml (amd64 and arm64).</summary>
public class BumpDescriptionTests
{
    private static readonly string Root = RepositoryRoot.Find();
    private static readonly ImageGraph Graph = GraphLoader.Load(Path.Combine(Root, "strata.yaml"));
    private static readonly ToolSet Tools = ToolsFile.Load(Path.Combine(Root, "tools.yaml"));

    private static ToolLock Lock(string helmVersion, Func<string, string> helmSha) => Keys.ToolKeyTests.Lock(helmVersion, helmSha);

    [Fact]
    public void A_bump_of_the_arm64_download_alone_lists_only_arm64_images_as_rebuilt()
    {
        var before = Lock("3.19.1", _ => new string('1', 64));
        var after = Lock("3.19.1", arch => arch == "arm64" ? new string('4', 64) : new string('1', 64));

        var (change, keep) = BumpDescription.Images(Graph, Tools, before, after);

        Assert.Equal(["k8s (linux/arm64)", "gemini (linux/arm64)", "latest (linux/arm64)"], change);
        Assert.Equal(["base (linux/amd64, linux/arm64)", "k8s (linux/amd64)", "gemini (linux/amd64)", "latest (linux/amd64)"], keep);
    }

    [Fact]
    public void Each_image_lists_the_changed_tools_it_carries_its_ancestors_included()
    {
        var before = Lock("3.19.1", _ => new string('1', 64));
        var after = Lock("3.19.2", _ => new string('2', 64));

        var perImage = BumpDescription.ToolsPerImage(Graph, Tools, before, after);

        Assert.Equal(["k8s", "gemini", "latest"], perImage.Select(i => i.Image));
        Assert.All(perImage, i => Assert.Equal(["helm 3.19.1 -> 3.19.2"], i.Tools));
    }
}
