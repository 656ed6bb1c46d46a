using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TrialManager.Domain.Randomization;

namespace TrialManager.Domain.Tests.Randomization;

public class SeededStreamTests
{
    private static readonly byte[] Seed = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    [Fact]
    public void Blocks_are_hmac_sha256_of_label_and_big_endian_counter()
    {
        var stream = new SeededStream(Seed, "label");
        var bytes = new byte[80];
        stream.NextBytes(bytes);

        var expected = Enumerable.Range(0, 3).SelectMany(i =>
        {
            var message = new byte[5 + 8];
            Encoding.UTF8.GetBytes("label").CopyTo(message, 0);
            BinaryPrimitives.WriteUInt64BigEndian(message.AsSpan(5), (ulong)i);
            return HMACSHA256.HashData(Seed, message);
        }).Take(80).ToArray();
        Assert.Equal(expected, bytes);
        Assert.Equal(80, stream.BytesRead);
    }

    [Fact]
    public void Reading_in_pieces_gives_the_same_bytes_as_reading_at_once()
    {
        var whole = new byte[100];
        new SeededStream(Seed, "x").NextBytes(whole);
        var pieces = new SeededStream(Seed, "x");
        var assembled = new List<byte>();
        foreach (var size in new[] { 1, 7, 31, 33, 28 })
        {
            var piece = new byte[size];
            pieces.NextBytes(piece);
            assembled.AddRange(piece);
        }

        Assert.Equal(whole, assembled);
    }

    [Fact]
    public void Same_seed_and_label_repeat_and_other_labels_or_seeds_differ()
    {
        static byte[] Read(byte[] seed, string label)
        {
            var bytes = new byte[64];
            new SeededStream(seed, label).NextBytes(bytes);
            return bytes;
        }

        var otherSeed = (byte[])Seed.Clone();
        otherSeed[31] ^= 1;
        Assert.Equal(Read(Seed, "LON|sex=female"), Read(Seed, "LON|sex=female"));
        Assert.NotEqual(Read(Seed, "LON|sex=female"), Read(Seed, "LON|sex=male"));
        Assert.NotEqual(Read(Seed, "LON|sex=female"), Read(otherSeed, "LON|sex=female"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    public void Seeds_must_be_32_bytes(int length)
    {
        Assert.Throws<ArgumentException>(() => new SeededStream(new byte[length], "x"));
    }

    [Fact]
    public void NextInt_is_uniform_over_small_ranges()
    {
        var stream = new SeededStream(Seed, "uniform");
        var counts = new long[6];
        for (var i = 0; i < 60_000; i++)
        {
            counts[stream.NextInt(6)]++;
        }

        var p = RandomizationFixtures.ChiSquarePValue(RandomizationFixtures.ChiSquare(counts, [.. Enumerable.Repeat(1 / 6.0, 6)]), 5);
        Assert.True(p > 0.001, $"p = {p}");
        Assert.Equal(0, new SeededStream(Seed, "one").NextInt(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.NextInt(0));
    }

    [Fact]
    public void NextInt_rejects_instead_of_taking_a_biased_modulo()
    {
        // With bound 1.5e9, 2^32 mod bound = 1,294,967,296: a plain modulo would hit values below that three times
        // as often as 2 of 3 draws, putting 52.4% (not 50%) of draws below 750,000,000.
        const int bound = 1_500_000_000;
        var stream = new SeededStream(Seed, "bias");
        var below = 0;
        const int draws = 40_000;
        for (var i = 0; i < draws; i++)
        {
            var value = stream.NextInt(bound);
            Assert.InRange(value, 0, bound - 1);
            below += value < bound / 2 ? 1 : 0;
        }

        var share = below / (double)draws;
        Assert.InRange(share, 0.5 - 0.0125, 0.5 + 0.0125);
        Assert.True(stream.BytesRead > draws * 4L, "some draws must have been rejected and redrawn");
    }

    [Fact]
    public void Shuffle_gives_every_permutation_equally_often()
    {
        var stream = new SeededStream(Seed, "shuffle");
        var counts = new Dictionary<string, long>();
        for (var i = 0; i < 24_000; i++)
        {
            var items = new[] { 'a', 'b', 'c', 'd' };
            stream.Shuffle(items.AsSpan());
            var key = new string(items);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Assert.Equal(24, counts.Count);
        var p = RandomizationFixtures.ChiSquarePValue(RandomizationFixtures.ChiSquare([.. counts.Values], [.. Enumerable.Repeat(1 / 24.0, 24)]), 23);
        Assert.True(p > 0.001, $"p = {p}");
    }
}
