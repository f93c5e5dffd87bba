using Strata.Keys;
using Strata.Tests.Support;

namespace Strata.Tests.Keys;

/// <summary>Each input file is read and hashed once per run, whatever number of keys include it.</summary>
public sealed class FileDigestsTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void A_file_is_hashed_once_and_its_digest_reused()
    {
        _repo.Write("dotfiles/a", "one\n").Write("dotfiles/b", "two\n");
        var files = InputSet.Collect(_repo.Root, ["dotfiles"], []);
        var digests = new FileDigests();
        digests.Prefetch(files);
        var first = digests.Of(files[0]);

        // A second read would see the new bytes: the digest is the one taken first.
        _repo.Write("dotfiles/a", "changed\n");
        Assert.Equal(first, digests.Of(files[0]));
        Assert.NotEqual(first, new FileDigests().Of(files[0]));
        Assert.Equal("2c8b08da5ce60398e1f19af0e5dccc744df274b826abe585eaba68c525434806", first); // sha256("one\n")
    }

    [Fact]
    public void Keys_built_with_one_run_of_digests_equal_keys_hashed_afresh()
    {
        _repo.Write("dotfiles/a", "one\n").Symlink("dotfiles/link", "a").Write("dotfiles/run", "#!/bin/sh\n", executable: true);
        var files = InputSet.Collect(_repo.Root, ["dotfiles"], []);
        var shared = new FileDigests();
        string Key(FileDigests? d)
        {
            using var key = new KeyBuilder().AddFiles("input", files, d);
            return key.Finish();
        }
        Assert.Equal(Key(null), Key(shared));
        Assert.Equal(Key(shared), Key(shared));
        Assert.True(files.Single(f => f.ContextPath == "dotfiles/run").Executable);
        Assert.Equal("a", files.Single(f => f.ContextPath == "dotfiles/link").LinkTarget);
    }
}
