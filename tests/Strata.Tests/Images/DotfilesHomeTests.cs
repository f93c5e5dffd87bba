using Strata.Images;
using Strata.Keys;

namespace Strata.Tests.Images;

/// <summary>The home as GNU Stow (--no-folding) would lay it out, computed on the host.</summary>
public class DotfilesHomeTests
{
    private static InputFile F(string path, string? link = null) => new(path, "/src/" + path, false, link);

    [Fact]
    public void Links_are_relative_scripts_go_to_local_bin_and_stow_ignores_its_default_list()
    {
        var layout = DotfilesHome.Plan(
        [
            F("dotfiles/README.md"),
            F("dotfiles/bash/.bashrc"),
            F("dotfiles/bash/README.md"),
            F("dotfiles/bash/.bashrc~"),
            F("dotfiles/nvim/.config/nvim/init.lua"),
            F("dotfiles/nvim/.config/nvim/.git/HEAD"),
            F("dotfiles/nvim/.config/nvim/README.md"),
            F("dotfiles/scripts/vault"),
            F("dotfiles/tmux/.tmux.conf", link: "../bash/.bashrc"),
        ], ["dotfiles"]);

        Assert.Equal(
        [
            (".bashrc", ".dotfiles/bash/.bashrc"),
            (".config/nvim/README.md", "../../.dotfiles/nvim/.config/nvim/README.md"), // README is ignored only at a package's top
            (".config/nvim/init.lua", "../../.dotfiles/nvim/.config/nvim/init.lua"),
            (".local/bin/vault", "../../.dotfiles/scripts/vault"),
            (".tmux.conf", ".dotfiles/tmux/.tmux.conf"),
        ], layout.Links);
        // Every file is in ~/.dotfiles, ignored or not, exactly as the old COPY put it there.
        Assert.Equal(9, layout.Files.Count);
        Assert.Contains(layout.Files, f => f.ContextPath == ".strata/home/.dotfiles/README.md");
        Assert.Equal("../bash/.bashrc", layout.Files.Single(f => f.ContextPath.EndsWith(".tmux.conf")).LinkTarget);

        var dirs = layout.Directories.ToDictionary(d => d.Path, d => d.Mode);
        Assert.Equal((UnixFileMode)0b101_000_000, dirs[".strata/home/secrets"]);
        Assert.Equal((UnixFileMode)0b111_000_000, dirs[".strata/home"]);
        Assert.Equal((UnixFileMode)0b111_101_101, dirs[".strata/home/.config/nvim"]);
        Assert.Equal((UnixFileMode)0b111_101_101, dirs[".strata/home/.dotfiles/nvim/.config/nvim/.git"]);
    }

    [Fact]
    public void Plain_files_in_the_way_are_kept_under_dotfiles_backup()
    {
        var layout = DotfilesHome.Plan([F("dotfiles/bash/.bashrc.d/x.sh")], ["dotfiles"]);
        var (files, dirs) = DotfilesHome.Entries(layout, [(".bashrc.d/x.sh", "/tmp/old", false)]);

        Assert.Contains(files, f => f is { ContextPath: ".strata/home/.dotfiles-backup/.bashrc.d/x.sh", SourcePath: "/tmp/old" });
        Assert.Contains(dirs, d => d.Path == ".strata/home/.dotfiles-backup/.bashrc.d");
        Assert.Contains(files, f => f is { ContextPath: ".strata/home/.bashrc.d/x.sh", LinkTarget: "../.dotfiles/bash/.bashrc.d/x.sh" });
    }
}
