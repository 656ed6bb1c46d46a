namespace TrialManager.Web.Hosting;

/// <summary>File modes for secrets written to disk (passwords, keys). No-ops on Windows, where ACLs are inherited instead.</summary>
public static class PrivateFile
{
    public static void RestrictToOwner(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Lets another OS user (the database server's) pass through a folder without listing it.</summary>
    public static void AllowTraverse(string directory)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }
}
