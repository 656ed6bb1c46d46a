using System.Globalization;
using TrialManager.Documents;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Participants;
using Choice = TrialManager.Documents.Choice;

namespace TrialManager.Web.Features.Documents;

/// <summary>One form of a visit as stored: entry (null when not started), its derived scores and its data queries.</summary>
public sealed record FormRecord(FormDefinition Form, FormEntry? Entry, IReadOnlyDictionary<string, StoredScore> Scores, IReadOnlyList<DataQuery> Queries);

/// <summary>A signature as shown on a record: the manifestation, and whether the content changed after signing.</summary>
public sealed record SignatureRecord(Signature Signature, bool Broken);

/// <summary>A visit's forms and their signature, read the way the form pages read them.</summary>
public sealed record VisitRecordData(Visit Visit, IReadOnlyList<FormRecord> Forms, SignatureRecord? Signature);

/// <summary>
/// Blocks shared by the documents, so a visit reads the same in its own CRF and in the casebook, and the audit
/// appendix the same wherever it appears. Nothing here takes an arm: the records it is given hold none.
/// </summary>
public static class DocumentSections
{
    /// <summary>An instant as every page and document prints it: "2026-11-21 14:05 UTC".</summary>
    public static string Utc(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>As <see cref="Utc(DateTimeOffset)"/>, or empty when there is no instant.</summary>
    public static string Utc(DateTimeOffset? instant) => instant is { } at ? Utc(at) : "";

    public static string Date(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";

    /// <summary>A visit: each form's fields with their values (choices as ticked boxes), scores, queries, then the signature.</summary>
    public static IEnumerable<Block> Visit(VisitRecordData data)
    {
        foreach (var record in data.Forms)
        {
            var entry = record.Entry;
            var status = entry is null ? "Not started" : $"{entry.Status}, last saved by {entry.UpdatedByName} at {Utc(entry.UpdatedAt)}";
            yield return new KeepTogether([new Heading($"{record.Form.Title} ({record.Form.Code})", 2), new Paragraph(status) { Small = true }]);
            var values = entry?.Values.ToDictionary(v => v.FieldCode, v => v.Value, StringComparer.Ordinal) ?? [];
            var plain = new List<KeyValueRow>();
            foreach (var field in record.Form.Fields)
            {
                values.TryGetValue(field.Code, out var value);
                if (field.Type is FieldType.SingleChoice or FieldType.MultipleChoice or FieldType.YesNo)
                {
                    if (plain.Count > 0)
                    {
                        yield return new KeyValueList(plain) { LabelWidth = 0.45 };
                        plain = [];
                    }

                    var chosen = (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var options = field.Type == FieldType.YesNo
                        ? [new Domain.Protocols.Choice(YesNo.Yes, "Yes"), new Domain.Protocols.Choice(YesNo.No, "No")]
                        : field.Choices;
                    yield return new ChoiceField(field.Label, [.. options.Select(o => new Choice(o.Label, chosen.Contains(o.Code, StringComparer.Ordinal)))], field.Code)
                    {
                        Vertical = options.Count > 4,
                    };
                }
                else
                {
                    plain.Add(new KeyValueRow($"{field.Label} [{field.Code}]", string.IsNullOrEmpty(value) ? "(blank)" : value + (field.Unit is { } unit ? " " + unit : "")));
                }
            }

            if (plain.Count > 0)
            {
                yield return new KeyValueList(plain) { LabelWidth = 0.45 };
            }

            if (record.Scores.Count > 0)
            {
                yield return new KeyValueList([.. record.Scores.Select(s => new KeyValueRow(record.Form.FindScore(s.Key)?.Label ?? s.Key, $"{s.Value.Total} ({s.Value.BandLabel})"))]) { LabelWidth = 0.45 };
            }

            if (record.Queries.Count > 0)
            {
                yield return new Table(
                    [new TableColumn("Field", 1), new TableColumn("Query", 3), new TableColumn("Answer", 3), new TableColumn("Status", 1)],
                    [.. record.Queries.Select(q => new TableRow(q.FieldCode, $"{q.Question} ({q.RaisedByName}, {Utc(q.RaisedAt)})", q.Answer ?? "", q.Status.ToString()))])
                { Title = "Data queries", Compact = true };
            }
        }

        yield return Signature(data.Signature, "Investigator's signature of the visit's forms");
    }

    /// <summary>The signature manifestation: printed name, UTC time and meaning; a broken one says so; none prints "Not signed".</summary>
    public static SignatureBlock Signature(SignatureRecord? record, string caption) =>
        record is null
            ? new SignatureBlock(null, caption)
            : new SignatureBlock(new SignatureDetails(record.Signature.SignedByName, record.Signature.SignedAt, record.Signature.Meaning)
            {
                Note = record.Broken ? "SIGNATURE BROKEN: the record changed after it was signed; it must be signed again." : null,
            }, caption);

    /// <summary>Audit entries as a table that continues across pages with its header; changes as recorded (sealed values stay masked).</summary>
    public static Table AuditTable(IEnumerable<AuditEntry> entries, string? title = null) => new(
        [new TableColumn("#", 0.6, CellAlignment.Right), new TableColumn("When (UTC)", 1.4), new TableColumn("Who", 1.5), new TableColumn("Action", 1.1), new TableColumn("Record", 1.3), new TableColumn("Changes and reason", 4)],
        [.. entries.Select(e => new TableRow(
            e.ChainSeq.ToString(CultureInfo.InvariantCulture),
            e.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            $"{e.UserName} ({e.Roles})",
            e.Action,
            e.EntityType,
            Changes(e)))])
    {
        Title = title,
        Compact = true,
    };

    private static string Changes(AuditEntry e)
    {
        var text = e.Changes.Length > 1500 ? e.Changes[..1500] + "…" : e.Changes;
        return string.IsNullOrEmpty(e.Reason) ? text : $"{text} Reason: {e.Reason}";
    }
}
