using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TrialManager.Documents.Layout;

namespace TrialManager.Documents;

/// <summary>
/// Canonical serialization of a document's logical content, hashed with SHA-256. Every value is written as a tag
/// plus a length-prefixed UTF-8 string, so no two different contents serialize alike (no separator can be forged by
/// the text itself). Text is normalized the way the renderer draws it (NFC, "\n" line ends), so equal-looking input
/// hashes equally. Presentation-only settings (widths, alignment, orientation, compact, page breaks, keep-together
/// groups) are left out on purpose: they change the pages, not what the document says.
/// </summary>
internal static class ContentHasher
{
    // Bumped whenever the serialization changes, so old and new hashes can never be confused.
    private const string FormatVersion = "trialmanager-document-content/1";

    public static string Compute(ReportDocument document)
    {
        using var writer = new Writer();
        writer.Text("format", FormatVersion);
        writer.Text("title", document.Title);
        writer.Text("subject", document.Subject);
        writer.Text("banner", document.Banner);
        foreach (var item in document.Context)
        {
            writer.Text("context.label", item.Label);
            writer.Text("context.value", item.Value);
        }
        foreach (var block in document.Blocks)
        {
            Write(writer, block);
        }
        return writer.Finish();
    }

    private static void Write(Writer w, Block block)
    {
        switch (block)
        {
            case Heading h:
                w.Text("heading", h.Text);
                w.Number("heading.level", h.Level);
                break;
            case Paragraph p:
                w.Tag("paragraph");
                foreach (var run in p.Runs)
                {
                    w.Text("run." + run.Style.ToString(), run.Text);
                }
                break;
            case KeyValueList kv:
                w.Tag("key-values");
                foreach (var row in kv.Rows)
                {
                    w.Text("key", row.Label);
                    w.Text("value", row.Value);
                }
                break;
            case Table t:
                w.Text("table", t.Title);
                foreach (var column in t.Columns)
                {
                    w.Text("column", column.Header);
                }
                foreach (var row in t.Rows)
                {
                    w.Tag(row.Bold ? "row.bold" : "row");
                    foreach (var cell in row.Cells)
                    {
                        w.Text("cell", cell);
                    }
                }
                break;
            case CheckBox c:
                w.Text("checkbox", c.Label);
                w.Flag("checked", c.Checked);
                w.Text("code", c.FieldCode);
                break;
            case ChoiceField c:
                w.Text("choice-field", c.Label);
                w.Text("code", c.FieldCode);
                WriteChoices(w, c.Options);
                break;
            case EntryField e:
                w.Text("entry-field", e.Label);
                w.Text("code", e.FieldCode);
                w.Text("hint", e.Hint);
                break;
            case SignatureBlock s:
                w.Text("signature", s.Caption);
                if (s.Signature is { } sig)
                {
                    w.Text("signed.name", sig.PrintedName);
                    w.Text("signed.at", sig.SignedAtUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                    w.Text("signed.meaning", sig.Meaning);
                    w.Text("signed.note", sig.Note);
                }
                else
                {
                    w.Tag("not-signed");
                }
                break;
            case FieldGrid g:
                w.Text("grid", g.Title);
                foreach (var row in g.Rows)
                {
                    w.Tag("grid.row");
                    foreach (var cell in row.Cells)
                    {
                        w.Text("grid.label", cell.Label);
                        w.Text("grid.code", cell.FieldCode);
                        w.Text("grid.value", cell.Value);
                        if (cell.Choices is not null)
                        {
                            WriteChoices(w, cell.Choices);
                        }
                    }
                }
                break;
            case BarChart b:
                w.Text("chart", b.Title);
                w.Text("chart.unit", b.Unit);
                foreach (var item in b.Items)
                {
                    w.Text("bar.label", item.Label);
                    w.Number("bar.value", item.Value);
                    w.Text("bar.display", item.DisplayValue);
                }
                break;
            case KeepTogether k:
                // A grouping hint only: its blocks count as if they stood alone.
                foreach (var inner in k.Blocks)
                {
                    Write(w, inner);
                }
                break;
            case PageBreak:
                break;
            default:
                throw new NotSupportedException($"Block type {block.GetType().Name} has no canonical form.");
        }
    }

    private static void WriteChoices(Writer w, IReadOnlyList<Choice> choices)
    {
        foreach (var choice in choices)
        {
            w.Text("choice", choice.Label);
            w.Flag("selected", choice.Selected);
        }
    }

    private sealed class Writer : IDisposable
    {
        // Chunks are gathered in a buffer and hashed a buffer at a time: a document has thousands of short strings,
        // and a hash call per string cost more than the hashing itself. The bytes hashed are the same either way.
        private const int BufferSize = 32 * 1024;

        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        private int _used;

        public void Tag(string tag) => Text(tag, null);

        public void Flag(string tag, bool value) => Text(tag, value ? "1" : "0");

        public void Number(string tag, double value) => Text(tag, value.ToString("R", CultureInfo.InvariantCulture));

        // null and "" are the same content: both print nothing.
        public void Text(string tag, string? value)
        {
            Chunk(tag);
            Chunk(TextNormalizer.Normalize(value));
        }

        public string Finish()
        {
            Flush();
            return Convert.ToHexStringLower(_hash.GetHashAndReset());
        }

        public void Dispose()
        {
            _hash.Dispose();
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        private void Chunk(string value)
        {
            var room = sizeof(int) + Encoding.UTF8.GetMaxByteCount(value.Length);
            if (room > _buffer.Length - _used)
            {
                Flush();
            }
            if (room > _buffer.Length)
            {
                // A very long value: hashed on its own, length first.
                var bytes = Encoding.UTF8.GetBytes(value);
                Span<byte> length = stackalloc byte[sizeof(int)];
                BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
                _hash.AppendData(length);
                _hash.AppendData(bytes);
                return;
            }
            var count = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_used + sizeof(int)));
            BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_used), count);
            _used += sizeof(int) + count;
        }

        private void Flush()
        {
            if (_used > 0)
            {
                _hash.AppendData(_buffer, 0, _used);
                _used = 0;
            }
        }
    }
}
