using System.Formats.Tar;
using System.Text;
using Strata.Engine;

namespace Strata.Tests.Engine;

/// <summary>The files asked for, read from the tar the engine gives for a folder of an image.</summary>
public sealed class ImageArchiveTests
{
    [Fact]
    public void The_common_folder_is_the_deepest_one_holding_every_path()
    {
        Assert.Equal("/home/dev", ImageArchive.CommonFolder(["/home/dev/.bashrc", "/home/dev/.config/nvim/init.lua"]));
        Assert.Equal("/home", ImageArchive.CommonFolder(["/home/dev/.bashrc", "/home/devops/.bashrc"]));
        Assert.Equal("", ImageArchive.CommonFolder(["/etc/passwd", "/home/dev/.bashrc"]));
    }

    [Fact]
    public async Task Only_the_wanted_regular_files_are_read_with_their_mode_and_an_unterminated_tar_is_fine()
    {
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "dev/"));
            await writer.WriteEntryAsync(File("dev/.bashrc", "export A=1\n", (UnixFileMode)0b110_100_100));
            await writer.WriteEntryAsync(File("dev/.profile", "not wanted\n", (UnixFileMode)0b110_100_100));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "dev/.vimrc") { LinkName = ".bashrc" });
            await writer.WriteEntryAsync(File("dev/bin/tool", "#!/bin/sh\n", (UnixFileMode)0b111_101_101));
        }
        // The engine's stream may end without tar's two closing zero blocks.
        var bytes = tar.ToArray()[..^1024];

        var files = await ImageArchive.ReadFilesAsync(new MemoryStream(bytes), "/home/dev",
            new HashSet<string> { "/home/dev/.bashrc", "/home/dev/.vimrc", "/home/dev/bin/tool", "/home/dev/absent" }, CancellationToken.None);

        Assert.Equal(["/home/dev/.bashrc", "/home/dev/bin/tool"], files.Select(f => f.Path));
        Assert.Equal("export A=1\n", Encoding.UTF8.GetString(files[0].Content));
        Assert.Equal((UnixFileMode)0b111_101_101, files[1].Mode);
    }

    private static PaxTarEntry File(string name, string content, UnixFileMode mode) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = mode };
}
