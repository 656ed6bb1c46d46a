using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using TrialManager.Web.Hosting;

namespace TrialManager.Web.Sealing;

/// <summary>
/// The key that wraps every trial's data key. It comes from configuration, never from the database, so a full
/// database dump without it reveals no allocation: TrialManager:MasterKey (base64 of 32 bytes, e.g. from an
/// environment variable or secret file) or TrialManager:MasterKeyFile (a file holding that base64). The local demo
/// creates master.key in its data folder on first run; Production refuses to start without one.
/// </summary>
public sealed class MasterKey
{
    public const int Length = 32;
    public const string FileName = "master.key";
    private readonly byte[] _key;

    public MasterKey(byte[] key)
    {
        if (key.Length != Length)
        {
            throw new InvalidOperationException($"The master key must be {Length} bytes (base64 of 32 random bytes); it is {key.Length}.");
        }

        _key = key;
        // A short fingerprint, stored beside wrapped keys, tells "wrong master key" apart from "tampered data".
        Id = Convert.ToHexStringLower(SHA256.HashData(key))[..16];
    }

    public string Id { get; }

    internal ReadOnlySpan<byte> Bytes => _key;

    public static string NewBase64() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(Length));

    public static MasterKey Load(IConfiguration configuration, IHostEnvironment environment, IOptions<TrialManagerOptions> options)
    {
        var inline = configuration["TrialManager:MasterKey"];
        if (!string.IsNullOrWhiteSpace(inline))
        {
            return FromBase64(inline, "TrialManager:MasterKey");
        }

        var path = configuration["TrialManager:MasterKeyFile"];
        if (!string.IsNullOrWhiteSpace(path))
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"TrialManager:MasterKeyFile names {path}, which does not exist.");
            }

            return FromBase64(File.ReadAllText(path), path);
        }

        if (environment.IsProduction() || !string.IsNullOrWhiteSpace(configuration.GetConnectionString(DatabaseStartup.ConnectionStringName)))
        {
            throw new InvalidOperationException(
                "No master key is configured. Set TrialManager:MasterKeyFile to a file holding base64 of 32 random bytes " +
                "(e.g. `openssl rand -base64 32 > master.key`), or TrialManager:MasterKey. Keep it outside the database and its backups.");
        }

        // The embedded local default: a key file beside the local cluster, outside the repository.
        var directory = options.Value.DataDirectory is { Length: > 0 } dir ? Path.GetFullPath(dir) : TrialManagerOptions.DefaultDataDirectory();
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, FileName);
        if (!File.Exists(file))
        {
            using var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write);
            using var writer = new StreamWriter(stream);
            writer.Write(NewBase64());
            writer.Flush();
            PrivateFile.RestrictToOwner(file);
        }

        return FromBase64(File.ReadAllText(file), file);
    }

    private static MasterKey FromBase64(string text, string source)
    {
        try
        {
            return new MasterKey(Convert.FromBase64String(text.Trim()));
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The master key in {source} is not base64.");
        }
    }
}
