using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace TrialManager.Domain.Randomization;

/// <summary>
/// A deterministic, cryptographically strong byte stream: block <c>i</c> is
/// <c>HMAC-SHA256(key: seed, message: UTF-8(label) || uint64-big-endian(i))</c>, for i = 0, 1, 2, ...
/// The same seed and label always give the same bytes; different labels give computationally independent
/// streams, so one sealed seed can drive every stratum (and other uses) without one stream telling anything
/// about another. The counter has a fixed width at the end of the message, so (label, counter) pairs never
/// collide. Not thread-safe; create one per use.
/// </summary>
public sealed class SeededStream
{
    /// <summary>Seeds are exactly 32 bytes (256 bits), drawn by the caller from a cryptographic random source.</summary>
    public const int SeedLength = 32;

    private const int BlockLength = 32;

    private readonly byte[] _seed;
    private readonly byte[] _message;
    private readonly byte[] _block = new byte[BlockLength];
    private ulong _counter;
    private int _position = BlockLength;

    public SeededStream(ReadOnlySpan<byte> seed, string label)
    {
        if (seed.Length != SeedLength)
        {
            throw new ArgumentException($"A seed is {SeedLength} bytes; this one has {seed.Length}.", nameof(seed));
        }

        ArgumentException.ThrowIfNullOrEmpty(label);
        _seed = seed.ToArray();
        Label = label;
        var labelBytes = Encoding.UTF8.GetBytes(label);
        _message = new byte[labelBytes.Length + sizeof(ulong)];
        labelBytes.CopyTo(_message, 0);
    }

    /// <summary>The domain-separation label this stream was created with.</summary>
    public string Label { get; }

    /// <summary>How many bytes have been read so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Fills <paramref name="destination"/> with the next bytes of the stream.</summary>
    public void NextBytes(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (_position == BlockLength)
            {
                Refill();
            }

            var take = Math.Min(BlockLength - _position, destination.Length);
            _block.AsSpan(_position, take).CopyTo(destination);
            _position += take;
            destination = destination[take..];
            BytesRead += take;
        }
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="exclusiveMax"/>). Reads 4 bytes as an unsigned little-endian
    /// number r and accepts it only if r is below the largest multiple of the bound that fits in 2^32, else draws
    /// again (rejection sampling), so <c>r mod exclusiveMax</c> has no modulo bias. Every attempt reads 4 bytes,
    /// including when the bound is 1.
    /// </summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exclusiveMax, 1);
        const ulong range = 1UL << 32;
        var limit = range - (range % (ulong)exclusiveMax);
        Span<byte> buffer = stackalloc byte[sizeof(uint)];
        while (true)
        {
            NextBytes(buffer);
            var r = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
            if (r < limit)
            {
                return (int)(r % (uint)exclusiveMax);
            }
        }
    }

    /// <summary>
    /// Fisher–Yates (Durstenfeld) shuffle in place: for i from the last index down to 1, swap item i with item
    /// <c>NextInt(i + 1)</c>. Every permutation is equally likely.
    /// </summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private void Refill()
    {
        BinaryPrimitives.WriteUInt64BigEndian(_message.AsSpan(_message.Length - sizeof(ulong)), _counter);
        HMACSHA256.HashData(_seed, _message, _block);
        _counter++;
        _position = 0;
    }
}
