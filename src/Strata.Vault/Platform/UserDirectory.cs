using System.Runtime.InteropServices;
using Strata.Vault.Names;

namespace Strata.Vault.Platform;

/// <summary>getpwuid: struct passwd is {name, passwd, uid, gid, gecos, dir, shell}, the same on every 64-bit glibc.</summary>
public sealed class UserDirectory : Root.IUserDirectory
{
    public VaultUser? Find(int uid)
    {
        var pw = Libc.getpwuid((uint)uid);
        if (pw == 0) return null;
        var name = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(pw, 0));
        var gid = Marshal.ReadInt32(pw, 20);
        var home = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(pw, 32));
        return string.IsNullOrEmpty(name) || string.IsNullOrEmpty(home) ? null : new VaultUser(name, uid, gid, home);
    }
}
