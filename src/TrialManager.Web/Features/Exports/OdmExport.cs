using System.Globalization;
using System.Reflection;
using System.Text;
using System.Xml;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Exports;

/// <summary>
/// Writes a snapshot as a CDISC ODM 1.3.2 file (FileType Snapshot): the study metadata once per protocol version, the
/// sites, people and signature meanings as admin data, and the clinical data of each protocol version. Values are the
/// stored text exactly, so a reader gets back what was entered. A pure function of the snapshot: the same snapshot
/// always gives the same bytes (UTF-8 without a byte order mark).
/// </summary>
/// <remarks>
/// OIDs: protocol things use their codes (<c>SE.W4</c>, <c>F.DEP9</c>, <c>IG.DEP9</c>, <c>I.DEP9.d1</c>,
/// <c>CL.DEP9.d1</c>); derived scores are <c>I.DEP9.SCORE.total</c> with <c>MT.DEP9.total</c>. What the system adds
/// (registration and randomization, visit dates, adverse events, kits and diary) carries a <c>TM</c> segment
/// (<c>SE.TM.RAND</c>, <c>I.TM.AE.AETERM</c>): protocol codes hold no dots, so the two can never collide.
/// <para>
/// Clinical data go under the metadata version they were collected with: a form under its own protocol version, the
/// participant's registration, randomization, adverse events, kits and diary under the version they were registered
/// with. A participant whose forms span an amendment so has a SubjectData in two ClinicalData blocks, as ODM intends.
/// </para>
/// <para>
/// A visit signature covers all of the visit's forms (its hash is over them together), so it sits once on the visit's
/// StudyEventData rather than on each FormData, which would read as one signature per form. An adverse event's
/// signature sits on its repeating item group, the casebook sign-off on the SubjectData.
/// </para>
/// </remarks>
public static class OdmExport
{
    public const string Namespace = "http://www.cdisc.org/ns/odm/v1.3";

    public const string LegalReason = "21 CFR Part 11 electronic signature: user id and password re-entered";

    public const string YesNoCodeList = "CL.YESNO";

    public const string FormStatusCodeList = "CL.TM.FORMSTATUS";

    public const string RegistrationEvent = "SE.TM.RAND";

    public const string AdverseEventsEvent = "SE.TM.AE";

    public const string SupplyEvent = "SE.TM.SUPPLY";

    /// <summary>The form with a visit's date and whether it was missed, added to every visit.</summary>
    public const string VisitGroup = "VISIT";

    public static byte[] Write(ExportSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            // Entitized line breaks and tabs survive a normalizing reader, so multi-line text comes back unchanged.
            NewLineHandling = NewLineHandling.Entitize,
        };
        using var stream = new MemoryStream();
        using (var xml = XmlWriter.Create(stream, settings))
        {
            new Writer(snapshot, xml).Document();
        }

        return stream.ToArray();
    }

    public static string StudyEventOid(string visitCode) => "SE." + Oid(visitCode);

    public static string FormOid(string formCode) => "F." + Oid(formCode);

    public static string ItemGroupOid(string formCode) => "IG." + Oid(formCode);

    public static string ItemOid(string formCode, string fieldCode) => $"I.{Oid(formCode)}.{Oid(fieldCode)}";

    public static string ScoreOid(string formCode, string scoreCode) => $"I.{Oid(formCode)}.SCORE.{Oid(scoreCode)}";

    public static string CodeListOid(string formCode, string fieldCode) => $"CL.{Oid(formCode)}.{Oid(fieldCode)}";

    public static string MethodOid(string formCode, string scoreCode) => $"MT.{Oid(formCode)}.{Oid(scoreCode)}";

    public static string UnitOid(string unit) => "MU." + Oid(unit);

    public static string LocationOid(string siteCode) => "LOC." + Oid(siteCode);

    public static string UserOid(string userId) => "USR." + Oid(userId);

    public static string MetaDataVersionOid(int sequence) => "MDV." + sequence.ToString(CultureInfo.InvariantCulture);

    public static string SyntheticFormOid(string group) => "F.TM." + group;

    public static string SyntheticGroupOid(string group) => "IG.TM." + group;

    public static string SyntheticItemOid(string group, string item) => $"I.TM.{group}.{item}";

    /// <summary>
    /// An OID segment in plain ASCII: letters, digits, '_' and '-' stay, anything else (a dot, a space, '°') becomes
    /// '~' and its four hex digits, so distinct texts always give distinct OIDs.
    /// </summary>
    public static string Oid(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('~').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private sealed record ItemSpec(string Name, string DataType, string Question, int? Length = null, string? CodeList = null, string? Unit = null, decimal? Minimum = null, decimal? Maximum = null);

    /// <summary>A form (and its one item group) the system adds beside the protocol's forms.</summary>
    private sealed record GroupSpec(string Key, string Name, bool Repeating, IReadOnlyList<ItemSpec> Items);

    private sealed record CodeListSpec(string Oid, string Name, string DataType, IReadOnlyList<Choice> Items);

    private sealed class Writer(ExportSnapshot snapshot, XmlWriter xml)
    {
        private const string Yes = "Yes";
        private const string No = "No";

        private readonly string _study = "ST." + Oid(snapshot.Trial.Code);
        private readonly ILookup<Guid, ExportForm> _forms = snapshot.Forms.ToLookup(f => f.ParticipantId);
        private readonly ILookup<Guid, ExportVisit> _visits = snapshot.Visits.ToLookup(v => v.ParticipantId);
        private readonly ILookup<Guid, ExportAdverseEvent> _events = snapshot.AdverseEvents.ToLookup(a => a.ParticipantId);
        private readonly ILookup<Guid, ExportKitUse> _kits = snapshot.Kits.ToLookup(k => k.ParticipantId);
        private readonly ILookup<Guid, ExportDiaryDay> _diary = snapshot.Diary.ToLookup(d => d.ParticipantId);
        private readonly ILookup<Guid, ExportSignature> _visitSignatures = snapshot.Signatures.Where(s => s.Subject == SignatureSubject.Visit).ToLookup(s => s.ParticipantId);
        private readonly Dictionary<Guid, ExportAuditRecord> _firstAudit = snapshot.Audit.GroupBy(a => a.ParticipantId).ToDictionary(g => g.Key, g => g.MinBy(a => a.Sequence)!);
        private readonly Dictionary<string, ExportAuditRecord> _latestAudit = LatestAudit(snapshot.Audit);
        private readonly Dictionary<(Guid, SignatureSubject, string), ExportSignature> _latestSignature = LatestSignatures(snapshot.Signatures);
        private readonly Dictionary<string, string> _signatureDefs = SignatureDefOids(snapshot.Signatures);

        public void Document()
        {
            xml.WriteStartDocument();
            Start("ODM");
            var blinding = snapshot.Unblinded ? "unblinded: treatment arms included" : "blinded: no treatment arms";
            Attr("Description", $"TrialManager export of trial {snapshot.Trial.Code} ({blinding}), exported by {snapshot.Trial.ExportedByName}; database lock: {snapshot.Trial.Lock}");
            // A snapshot carries no TransactionType anywhere: the schema would accept one, but ODM 1.3.2 reserves it for
            // Transactional files.
            Attr("FileType", "Snapshot");
            Attr("Granularity", "All");
            Attr("FileOID", $"{Oid(snapshot.Trial.Code)}.{snapshot.Trial.ExportedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfffffff'Z'", CultureInfo.InvariantCulture)}");
            Attr("CreationDateTime", Stamp(snapshot.Trial.ExportedAt));
            Attr("AsOfDateTime", Stamp(snapshot.Trial.ExportedAt));
            Attr("ODMVersion", "1.3.2");
            Attr("Originator", "TrialManager");
            Attr("SourceSystem", "TrialManager");
            Attr("SourceSystemVersion", typeof(OdmExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "");
            Study();
            AdminData();
            foreach (var version in snapshot.ProtocolVersions.OrderBy(v => v.Sequence))
            {
                ClinicalData(version);
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        // ---- Study and metadata ----

        private void Study()
        {
            Start("Study");
            Attr("OID", _study);
            Start("GlobalVariables");
            Element("StudyName", snapshot.Trial.Code);
            Element("StudyDescription", snapshot.Trial.Title);
            Element("ProtocolName", snapshot.Trial.Code);
            End();

            Start("BasicDefinitions");
            foreach (var unit in Units())
            {
                Start("MeasurementUnit");
                Attr("OID", UnitOid(unit));
                Attr("Name", unit);
                Translated("Symbol", unit);
                End();
            }

            End();
            foreach (var version in snapshot.ProtocolVersions.OrderBy(v => v.Sequence))
            {
                MetaDataVersion(version);
            }

            End();
        }

        private List<string> Units() =>
            snapshot.ProtocolVersions
                .SelectMany(v => v.Protocol.Forms.SelectMany(f => f.Fields).Select(f => f.Unit).Append(v.Protocol.Kits.Unit))
                .OfType<string>().Where(u => u.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        private void MetaDataVersion(ExportProtocolVersion version)
        {
            var protocol = version.Protocol;
            var groups = SyntheticGroups(protocol);
            Start("MetaDataVersion");
            Attr("OID", MetaDataVersionOid(version.Sequence));
            Attr("Name", "Protocol " + NonEmpty(version.Version, version.Sequence.ToString(CultureInfo.InvariantCulture)));
            Attr("Description", $"{protocol.Code} version {version.Version} (protocol sequence {version.Sequence.ToString(CultureInfo.InvariantCulture)}), content SHA-256 {version.ContentHash}");

            Start("Protocol");
            Translated("Description", $"{protocol.Title}. Sponsor: {protocol.Sponsor}; registry id: {protocol.RegistryId}; phase {protocol.Phase}.");
            var order = 1;
            StudyEventRef(RegistrationEvent, order++, mandatory: true);
            foreach (var visit in protocol.Visits)
            {
                StudyEventRef(StudyEventOid(visit.Code), order++, mandatory: true);
            }

            StudyEventRef(AdverseEventsEvent, order++, mandatory: false);
            StudyEventRef(SupplyEvent, order, mandatory: false);
            End();

            StudyEventDef(RegistrationEvent, "Registration and randomization", "Common", null, null, [("SUBJ", true), ("RAND", false)]);
            foreach (var visit in protocol.Visits)
            {
                var window = $"Study day {Number(visit.Day)}, window day {Number(visit.EarliestDay)} to {Number(visit.LatestDay)}";
                StudyEventDef(StudyEventOid(visit.Code), NonEmpty(visit.Name, visit.Code), "Scheduled", visit.Kind.ToString(), window, [.. visit.Forms.Distinct(StringComparer.Ordinal).Select(f => (f, true))]);
            }

            StudyEventDef(AdverseEventsEvent, "Adverse events", "Common", null, null, [("AE", true)]);
            StudyEventDef(SupplyEvent, "Kits and dosing diary", "Common", null, null, [("KIT", false), ("DIARY", false)]);

            foreach (var form in protocol.Forms)
            {
                FormDef(FormOid(form.Code), NonEmpty(form.Title, form.Code), ItemGroupOid(form.Code));
            }

            foreach (var group in groups)
            {
                FormDef(SyntheticFormOid(group.Key), group.Name, SyntheticGroupOid(group.Key));
            }

            foreach (var form in protocol.Forms)
            {
                FormItemGroupDef(form);
            }

            foreach (var group in groups)
            {
                Start("ItemGroupDef");
                Attr("OID", SyntheticGroupOid(group.Key));
                Attr("Name", group.Name);
                Attr("Repeating", group.Repeating ? Yes : No);
                var itemOrder = 1;
                foreach (var item in group.Items)
                {
                    ItemRef(SyntheticItemOid(group.Key, item.Name), itemOrder++, mandatory: false, method: null);
                }

                End();
            }

            foreach (var form in protocol.Forms)
            {
                foreach (var field in form.Fields)
                {
                    FieldItemDef(form, field);
                }

                foreach (var score in form.Scores)
                {
                    ScoreItemDef(form, score);
                }
            }

            foreach (var group in groups)
            {
                foreach (var item in group.Items)
                {
                    ItemDef(SyntheticItemOid(group.Key, item.Name), item.Name, item.DataType, item.Length, null, null, item.Question, item.Unit, item.Minimum, item.Maximum, null, item.CodeList);
                }
            }

            foreach (var form in protocol.Forms)
            {
                foreach (var field in form.Fields.Where(f => f.Type is FieldType.SingleChoice or FieldType.MultipleChoice))
                {
                    CodeList(new CodeListSpec(CodeListOid(form.Code, field.Code), NonEmpty(field.Label, field.Code), ChoiceDataType(field), field.Choices));
                }
            }

            foreach (var list in SyntheticCodeLists(protocol))
            {
                CodeList(list);
            }

            foreach (var form in protocol.Forms)
            {
                foreach (var score in form.Scores)
                {
                    Start("MethodDef");
                    Attr("OID", MethodOid(form.Code, score.Code));
                    Attr("Name", NonEmpty(score.Label, score.Code));
                    Attr("Type", "Computation");
                    Translated("Description", $"Sum of the items {string.Join(" + ", score.Items)} of form {form.Code}; computed by the server at each save, only when every item has a value.");
                    End();
                }
            }

            End();
        }

        private void StudyEventRef(string oid, int order, bool mandatory)
        {
            Start("StudyEventRef");
            Attr("StudyEventOID", oid);
            Attr("OrderNumber", Number(order));
            Attr("Mandatory", mandatory ? Yes : No);
            End();
        }

        /// <param name="forms">Protocol form codes, or the keys of the system's own forms for the TM events.</param>
        private void StudyEventDef(string oid, string name, string type, string? category, string? description, IReadOnlyList<(string Form, bool Mandatory)> forms)
        {
            var synthetic = oid.StartsWith("SE.TM.", StringComparison.Ordinal);
            Start("StudyEventDef");
            Attr("OID", oid);
            Attr("Name", name);
            Attr("Repeating", No);
            Attr("Type", type);
            Attr("Category", category);
            if (description is not null)
            {
                Translated("Description", description);
            }

            var order = 1;
            if (!synthetic)
            {
                FormRef(SyntheticFormOid(VisitGroup), order++, mandatory: false);
            }

            foreach (var (form, mandatory) in forms)
            {
                FormRef(synthetic ? SyntheticFormOid(form) : FormOid(form), order++, mandatory);
            }

            End();
        }

        private void FormRef(string oid, int order, bool mandatory)
        {
            Start("FormRef");
            Attr("FormOID", oid);
            Attr("OrderNumber", Number(order));
            Attr("Mandatory", mandatory ? Yes : No);
            End();
        }

        private void FormDef(string oid, string name, string groupOid)
        {
            Start("FormDef");
            Attr("OID", oid);
            Attr("Name", name);
            Attr("Repeating", No);
            Start("ItemGroupRef");
            Attr("ItemGroupOID", groupOid);
            Attr("OrderNumber", "1");
            Attr("Mandatory", Yes);
            End();
            End();
        }

        private void FormItemGroupDef(FormDefinition form)
        {
            Start("ItemGroupDef");
            Attr("OID", ItemGroupOid(form.Code));
            Attr("Name", NonEmpty(form.Title, form.Code));
            Attr("Repeating", No);
            var order = 1;
            foreach (var field in form.Fields)
            {
                ItemRef(ItemOid(form.Code, field.Code), order++, field.Required, method: null);
            }

            foreach (var score in form.Scores)
            {
                ItemRef(ScoreOid(form.Code, score.Code), order++, mandatory: false, MethodOid(form.Code, score.Code));
            }

            End();
        }

        private void ItemRef(string oid, int order, bool mandatory, string? method)
        {
            Start("ItemRef");
            Attr("ItemOID", oid);
            Attr("MethodOID", method);
            Attr("OrderNumber", Number(order));
            Attr("Mandatory", mandatory ? Yes : No);
            End();
        }

        private void FieldItemDef(FormDefinition form, FieldDefinition field)
        {
            var (dataType, length, codeList) = field.Type switch
            {
                FieldType.Integer => ("integer", (int?)null, (string?)null),
                FieldType.Decimal => ("float", null, null),
                FieldType.Text => ("text", field.EffectiveMaxLength, null),
                FieldType.Date => ("date", null, null),
                FieldType.SingleChoice => (ChoiceDataType(field), ChoiceDataType(field) == "text" ? field.Choices.Max(c => (int?)c.Code.Length) : null, CodeListOid(form.Code, field.Code)),
                FieldType.MultipleChoice => ("text", field.Choices.Sum(c => c.Code.Length + 1) - 1, CodeListOid(form.Code, field.Code)),
                FieldType.YesNo => ("text", 3, YesNoCodeList),
                _ => throw new InvalidOperationException($"Field type {field.Type} has no ODM data type."),
            };
            var description = field.Type == FieldType.MultipleChoice
                ? $"Multiple choice: the chosen codes of {codeList} joined by commas, in the code list's order."
                : null;
            ItemDef(
                ItemOid(form.Code, field.Code), field.Code, dataType, length is > 0 ? length : null, field.Type == FieldType.Decimal ? field.DecimalPlaces : null, description,
                NonEmpty(field.Label, field.Code), field.Unit, field.Minimum, field.Maximum, field.Type is FieldType.Integer or FieldType.Decimal ? field.Expectation() : null, codeList);
        }

        private void ScoreItemDef(FormDefinition form, DerivedScore score)
        {
            var bands = string.Join("; ", score.Bands.Select(b => $"{b.Label} {Number(b.Minimum)}-{Number(b.Maximum)}"));
            ItemDef(
                ScoreOid(form.Code, score.Code), score.Code, "integer", null, null, $"Derived score (sum of {string.Join(", ", score.Items)}). Bands: {bands}.",
                NonEmpty(score.Label, score.Code), null, score.Minimum, score.Maximum, null, null);
        }

        private void ItemDef(
            string oid, string name, string dataType, int? length, int? significantDigits, string? description, string question, string? unit, decimal? minimum, decimal? maximum, string? rangeMessage, string? codeList)
        {
            Start("ItemDef");
            Attr("OID", oid);
            Attr("Name", name);
            Attr("DataType", dataType);
            Attr("Length", length is { } l ? Number(l) : null);
            Attr("SignificantDigits", significantDigits is { } d ? Number(d) : null);
            if (description is not null)
            {
                Translated("Description", description);
            }

            Translated("Question", question);
            if (!string.IsNullOrEmpty(unit))
            {
                Start("MeasurementUnitRef");
                Attr("MeasurementUnitOID", UnitOid(unit));
                End();
            }

            RangeCheck("GE", minimum, rangeMessage);
            RangeCheck("LE", maximum, rangeMessage);
            if (codeList is not null)
            {
                Start("CodeListRef");
                Attr("CodeListOID", codeList);
                End();
            }

            End();
        }

        private void RangeCheck(string comparator, decimal? value, string? message)
        {
            if (value is not { } bound)
            {
                return;
            }

            Start("RangeCheck");
            Attr("Comparator", comparator);
            Attr("SoftHard", "Hard");
            Element("CheckValue", bound.ToString(CultureInfo.InvariantCulture));
            if (message is not null)
            {
                Translated("ErrorMessage", message);
            }

            End();
        }

        private void CodeList(CodeListSpec list)
        {
            if (list.Items.Count == 0)
            {
                return;
            }

            Start("CodeList");
            Attr("OID", list.Oid);
            Attr("Name", list.Name);
            Attr("DataType", list.DataType);
            var order = 1;
            foreach (var item in list.Items)
            {
                Start("CodeListItem");
                Attr("CodedValue", item.Code);
                Attr("OrderNumber", Number(order++));
                Translated("Decode", NonEmpty(item.Label, item.Code));
                End();
            }

            End();
        }

        /// <summary>Integer when every code is a plain whole number (scored items), so the codes keep their meaning as numbers.</summary>
        private static string ChoiceDataType(FieldDefinition field) =>
            field.Choices.Count > 0 && field.Choices.All(c => int.TryParse(c.Code, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && Number(n) == c.Code)
                ? "integer"
                : "text";

        private List<GroupSpec> SyntheticGroups(Protocol protocol)
        {
            var randomization = new List<ItemSpec>
            {
                new("RANDNO", "text", "Randomization number"),
                new("RANDDT", "date", "Randomized on (site calendar)"),
                new("RANDDTC", "datetime", "Randomized at (UTC)"),
                new("STRATUM", "text", "Stratum (factor=level pairs joined by |)"),
            };
            if (snapshot.Unblinded)
            {
                // Only an unblinded snapshot carries arms; a blinded file has no arm item defined at all.
                randomization.Add(new("ARM", "text", "Treatment arm", CodeList: "CL.TM.RAND.ARM"));
                randomization.Add(new("ARMLABEL", "text", "Treatment arm label"));
            }

            var hasCriteria = protocol.Safety.SeriousnessCriteria.Count > 0;
            var hasSpecialInterest = protocol.Safety.SpecialInterestEvents.Count > 0;
            var kitUnit = string.IsNullOrEmpty(protocol.Kits.Unit) ? null : protocol.Kits.Unit;
            return
            [
                new("SUBJ", "Participant", false,
                [
                    new("STATUS", "text", "Participant status", CodeList: "CL.TM.SUBJ.STATUS"),
                    new("BRTHYR", "integer", "Year of birth"),
                    new("SEX", "text", "Sex"),
                    new("CONSDT", "date", "Consented on"),
                    new("DISCDT", "date", "Study drug discontinued on"),
                    new("WDDT", "date", "Withdrawn on"),
                    new("WDREASON", "text", "Reason for withdrawal"),
                ]),
                new("RAND", "Randomization", false, randomization),
                new(VisitGroup, "Visit", false,
                [
                    new("VISDT", "date", "Visit date"),
                    new("VISMISSED", "text", "Visit missed", 3, YesNoCodeList),
                    new("VISDAY", "integer", "Study day (days from randomization)"),
                    new("VISWIN", "text", "Within the protocol's visit window", 3, YesNoCodeList),
                ]),
                new("AE", "Adverse event", true,
                [
                    new("AENUM", "text", "Adverse event number"),
                    new("AEVER", "integer", "Report version"),
                    new("AETERM", "text", "Reported term"),
                    new("AEDECOD", "text", "Coded term"),
                    new("AECODE", "text", "Term code"),
                    new("AESTDT", "date", "Onset date"),
                    new("AEENDT", "date", "End date"),
                    new("AEGRADE", "integer", "Severity grade (CTCAE " + protocol.Safety.CtcaeVersion + ")", Minimum: 1, Maximum: 5),
                    new("AESER", "text", "Serious", 3, YesNoCodeList),
                    new("AESERCRIT", "text", "Seriousness criteria (codes joined by commas)", CodeList: hasCriteria ? "CL.TM.AE.SERCRIT" : null),
                    new("AEREL", "text", "Causality", CodeList: "CL.TM.AE.REL"),
                    new("AEACN", "text", "Action taken with study drug", CodeList: "CL.TM.AE.ACN"),
                    new("AEOUT", "text", "Outcome", CodeList: "CL.TM.AE.OUT"),
                    new("AESI", "text", "Adverse event of special interest", CodeList: hasSpecialInterest ? "CL.TM.AE.AESI" : null),
                    new("AEAWARE", "datetime", "Site aware at (UTC)"),
                    new("AERECV", "datetime", "Report received at (UTC)"),
                ]),
                new("KIT", "Kit dispensed", true,
                [
                    new("KITCODE", "text", "Kit code"),
                    new("KITVIS", "text", "Dispensed at visit"),
                    new("KITKIND", "text", "Dispensing kind", CodeList: "CL.TM.KIT.KIND"),
                    new("KITDISPDT", "date", "Dispensed on (site calendar)"),
                    new("KITUNITS", "integer", "Units per kit", Unit: kitUnit),
                    new("KITRETDT", "date", "Returned on"),
                    new("KITUNUSED", "integer", "Unused units returned", Unit: kitUnit),
                    new("KITSCHED", "integer", "Doses scheduled while the kit was in use"),
                    new("KITTAKEN", "integer", "Doses taken (from the pill count)"),
                    new("KITADH", "float", "Adherence (percent)"),
                ]),
                new("DIARY", "Dosing diary day", true,
                [
                    new("DIARYDAY", "integer", "Study day"),
                    new("DIARYDOSE", "text", "Took the dose", 3, YesNoCodeList),
                ]),
            ];
        }

        private List<CodeListSpec> SyntheticCodeLists(Protocol protocol)
        {
            var lists = new List<CodeListSpec>
            {
                new(YesNoCodeList, "Yes or no", "text", [new(YesNo.Yes, "Yes"), new(YesNo.No, "No")]),
                new(FormStatusCodeList, "Form status", "text", EnumChoices<FormStatus>()),
                new("CL.TM.SUBJ.STATUS", "Participant status", "text", EnumChoices<ParticipantStatus>()),
                new("CL.TM.AE.SERCRIT", "Seriousness criteria", "text", protocol.Safety.SeriousnessCriteria),
                new("CL.TM.AE.REL", "Causality", "text", EnumChoices<Causality>(c => c.Describe())),
                new("CL.TM.AE.ACN", "Action taken", "text", EnumChoices<ActionTaken>(a => a.Describe())),
                new("CL.TM.AE.OUT", "Outcome", "text", EnumChoices<EventOutcome>(o => o.Describe())),
                new("CL.TM.AE.AESI", "Adverse events of special interest", "text", [.. protocol.Safety.SpecialInterestEvents.Select(e => new Choice(e.Code, e.Term))]),
                new("CL.TM.KIT.KIND", "Dispensing kind", "text", EnumChoices<DispensingKind>()),
            };
            if (snapshot.Unblinded)
            {
                lists.Add(new("CL.TM.RAND.ARM", "Treatment arms", "text", [.. protocol.Arms.Select(a => new Choice(a.Code, a.BlindedLabel))]));
            }

            return lists;
        }

        /// <summary>Each value coded by its name; decoded by the domain's own wording where it has one (the AE pages' labels).</summary>
        private static List<Choice> EnumChoices<T>(Func<T, string>? describe = null)
            where T : struct, Enum =>
            [.. Enum.GetValues<T>().Select(value => new Choice(value.ToString(), describe?.Invoke(value) ?? Words(value.ToString())))];

        /// <summary>"ScreenFailed" as "Screen failed", for enums without a wording of their own.</summary>
        private static string Words(string name)
        {
            var builder = new StringBuilder(name.Length + 4);
            for (var i = 0; i < name.Length; i++)
            {
                if (i > 0 && char.IsUpper(name[i]))
                {
                    builder.Append(' ').Append(char.ToLowerInvariant(name[i]));
                }
                else
                {
                    builder.Append(name[i]);
                }
            }

            return builder.ToString();
        }

        // ---- Admin data ----

        private void AdminData()
        {
            Start("AdminData");
            Attr("StudyOID", _study);
            foreach (var (id, name) in Users())
            {
                Start("User");
                Attr("OID", UserOid(id));
                Element("FullName", name);
                End();
            }

            var sites = snapshot.Sites.Select(s => (s.Code, Name: NonEmpty(s.Name, s.Code)))
                .Concat(snapshot.Participants.Select(p => (Code: p.SiteCode, Name: p.SiteCode)))
                .DistinctBy(s => s.Code, StringComparer.Ordinal).OrderBy(s => s.Code, StringComparer.Ordinal);
            foreach (var (code, name) in sites)
            {
                Start("Location");
                Attr("OID", LocationOid(code));
                Attr("Name", name);
                Attr("LocationType", "Site");
                foreach (var version in snapshot.ProtocolVersions.OrderBy(v => v.Sequence))
                {
                    Start("MetaDataVersionRef");
                    Attr("StudyOID", _study);
                    Attr("MetaDataVersionOID", MetaDataVersionOid(version.Sequence));
                    Attr("EffectiveDate", Date(EffectiveDate(version)));
                    End();
                }

                End();
            }

            foreach (var (meaning, oid) in _signatureDefs.OrderBy(d => d.Value, StringComparer.Ordinal))
            {
                Start("SignatureDef");
                Attr("OID", oid);
                Attr("Methodology", "Electronic");
                Element("Meaning", meaning);
                Element("LegalReason", OdmExport.LegalReason);
                End();
            }

            End();
        }

        /// <summary>Everyone named by an included audit entry or signature, under the name they last acted with.</summary>
        private List<(string Id, string Name)> Users() =>
            snapshot.Audit.Select(a => (a.UserId, a.UserName, a.At))
                .Concat(snapshot.Signatures.Select(s => (UserId: s.SignedByUserId, UserName: s.SignedByName, At: s.SignedAt)))
                .GroupBy(u => u.UserId, StringComparer.Ordinal)
                .Select(g => (g.Key, g.OrderBy(u => u.At).Last().UserName))
                .OrderBy(u => u.Key, StringComparer.Ordinal)
                .ToList();

        // The version is in force from its import.
        private static DateOnly EffectiveDate(ExportProtocolVersion version) => DateOnly.FromDateTime(version.ImportedAt.UtcDateTime);

        // ---- Clinical data ----

        private void ClinicalData(ExportProtocolVersion version)
        {
            Start("ClinicalData");
            Attr("StudyOID", _study);
            Attr("MetaDataVersionOID", MetaDataVersionOid(version.Sequence));
            foreach (var participant in snapshot.Participants.OrderBy(p => p.Number, StringComparer.Ordinal).ThenBy(p => p.Id))
            {
                var forms = _forms[participant.Id].ToList();
                var records = _visits[participant.Id].GroupBy(v => v.VisitCode, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
                var visitCodes = forms.Select(f => f.VisitCode).Concat(records.Keys).Concat(_visitSignatures[participant.Id].Select(s => s.VisitCode)).Distinct(StringComparer.Ordinal);
                var home = visitCodes.ToDictionary(code => code, code => HomeSequence(participant, code, forms), StringComparer.Ordinal);
                var isHome = participant.ProtocolSequence == version.Sequence;
                var here = forms.Where(f => f.ProtocolSequence == version.Sequence).ToList();
                if (!isHome && here.Count == 0 && !home.ContainsValue(version.Sequence))
                {
                    continue;
                }

                SubjectData(version, participant, isHome, here, records, home);
            }

            End();
        }

        /// <summary>
        /// The protocol version a visit's own record (date, missed, signature) is written under: that of its forms (the
        /// newest, in the rare visit whose forms span an amendment), else the participant's, else the newest that has the visit.
        /// </summary>
        private int HomeSequence(ExportParticipant participant, string visitCode, List<ExportForm> forms)
        {
            var visitForms = forms.Where(f => f.VisitCode == visitCode).ToList();
            if (visitForms.Count > 0)
            {
                return visitForms.Max(f => f.ProtocolSequence);
            }

            if (snapshot.ProtocolVersions.Any(v => v.Sequence == participant.ProtocolSequence && v.Protocol.FindVisit(visitCode) is not null))
            {
                return participant.ProtocolSequence;
            }

            return snapshot.ProtocolVersions.Where(v => v.Protocol.FindVisit(visitCode) is not null).Select(v => (int?)v.Sequence).Max() ?? participant.ProtocolSequence;
        }

        private void SubjectData(
            ExportProtocolVersion version, ExportParticipant participant, bool isHome, List<ExportForm> forms, Dictionary<string, ExportVisit> records, Dictionary<string, int> home)
        {
            var location = LocationOid(participant.SiteCode);
            Start("SubjectData");
            Attr("SubjectKey", participant.Number);
            ExportSignature? casebook = null;
            if (isHome)
            {
                WriteAuditRecord(ParticipantAudit(participant), location);
                casebook = WriteSignature(participant.Id, SignatureSubject.Casebook, "", location);
            }

            Start("SiteRef");
            Attr("LocationOID", location);
            End();
            BrokenSignatureNote(casebook, "casebook sign-off");

            if (isHome)
            {
                Registration(participant);
            }

            // Visits in the order of this version's schedule; a visit it does not know (none expected) comes last.
            var order = version.Protocol.Visits.Select((v, i) => (v.Code, i)).ToDictionary(x => x.Code, x => x.i, StringComparer.Ordinal);
            var codes = forms.Select(f => f.VisitCode).Concat(home.Where(h => h.Value == version.Sequence).Select(h => h.Key))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(c => order.GetValueOrDefault(c, int.MaxValue)).ThenBy(c => c, StringComparer.Ordinal);
            foreach (var code in codes)
            {
                var isVisitHome = home.GetValueOrDefault(code) == version.Sequence;
                Start("StudyEventData");
                Attr("StudyEventOID", StudyEventOid(code));
                ExportSignature? signature = null;
                if (isVisitHome)
                {
                    WriteAuditRecord(Latest("VisitRecord", $"{Key(participant.Id)}/{code}"), location);
                    signature = WriteSignature(participant.Id, SignatureSubject.Visit, code, location);
                    BrokenSignatureNote(signature, $"visit {code} signature");
                    if (records.TryGetValue(code, out var record))
                    {
                        VisitForm(record);
                    }
                }

                var formOrder = (version.Protocol.FindVisit(code)?.Forms ?? []).Select((f, i) => (f, i)).DistinctBy(x => x.f, StringComparer.Ordinal).ToDictionary(x => x.f, x => x.i, StringComparer.Ordinal);
                foreach (var form in forms.Where(f => f.VisitCode == code).OrderBy(f => formOrder.GetValueOrDefault(f.FormCode, int.MaxValue)).ThenBy(f => f.FormCode, StringComparer.Ordinal))
                {
                    FormData(version.Protocol, form, location);
                }

                End();
            }

            if (isHome)
            {
                AdverseEvents(participant, location);
                Supply(participant);
            }

            End();
        }

        private void Registration(ExportParticipant participant)
        {
            Start("StudyEventData");
            Attr("StudyEventOID", RegistrationEvent);
            SyntheticForm("SUBJ", null,
            [
                ("STATUS", participant.Status.ToString()),
                ("BRTHYR", Number(participant.YearOfBirth)),
                ("SEX", participant.Sex),
                ("CONSDT", Date(participant.ConsentedOn)),
                ("DISCDT", Date(participant.DrugDiscontinuedOn)),
                ("WDDT", Date(participant.WithdrawnOn)),
                ("WDREASON", participant.WithdrawalReason),
            ]);
            var arm = snapshot.Arms?.GetValueOrDefault(participant.Id);
            var randomization = new List<(string, string?)>
            {
                ("RANDNO", participant.RandomizationNumber),
                ("RANDDT", Date(participant.RandomizedOn)),
                ("RANDDTC", participant.RandomizedAt is { } at ? Stamp(at) : null),
                ("STRATUM", participant.Stratum),
            };
            if (snapshot.Unblinded)
            {
                randomization.Add(("ARM", arm?.Code));
                randomization.Add(("ARMLABEL", arm?.Label));
            }

            if (randomization.Any(r => !string.IsNullOrEmpty(r.Item2)))
            {
                SyntheticForm("RAND", null, randomization);
            }

            End();
        }

        private void VisitForm(ExportVisit record) =>
            SyntheticForm(VisitGroup, null,
            [
                ("VISDT", Date(record.DoneOn)),
                ("VISMISSED", YesNo.Format(record.Missed)),
                ("VISDAY", record.StudyDay is { } day ? Number(day) : null),
                ("VISWIN", record.InWindow is { } inWindow ? YesNo.Format(inWindow) : null),
            ]);

        /// <summary>A system form with one non-repeating item group; empty values are left out, as for protocol forms.</summary>
        private void SyntheticForm(string group, string? repeatKey, IReadOnlyList<(string Item, string? Value)> items)
        {
            Start("FormData");
            Attr("FormOID", SyntheticFormOid(group));
            Start("ItemGroupData");
            Attr("ItemGroupOID", SyntheticGroupOid(group));
            Attr("ItemGroupRepeatKey", repeatKey);
            SyntheticItems(group, items);
            End();
            End();
        }

        private void SyntheticItems(string group, IReadOnlyList<(string Item, string? Value)> items)
        {
            foreach (var (item, value) in items)
            {
                ItemData(SyntheticItemOid(group, item), value);
            }
        }

        private void ItemData(string oid, string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            Start("ItemData");
            Attr("ItemOID", oid);
            Attr("Value", value);
            End();
        }

        private void FormData(Protocol protocol, ExportForm form, string location)
        {
            Start("FormData");
            Attr("FormOID", FormOid(form.FormCode));
            WriteAuditRecord(Latest("FormEntry", Key(form.Id)), location);
            // ODM has no form status: it travels as a flag on the form, with when and by whom it was last saved.
            Start("Annotation");
            Attr("SeqNum", "1");
            var completed = form.CompletedAt is { } at ? $"; completed {Stamp(at)}" : "";
            Element("Comment", $"{form.Status}: last saved {Stamp(form.UpdatedAt)} by {form.UpdatedByName}{completed}");
            Start("Flag");
            Start("FlagValue");
            Attr("CodeListOID", FormStatusCodeList);
            xml.WriteString(form.Status.ToString());
            End();
            End();
            End();

            Start("ItemGroupData");
            Attr("ItemGroupOID", ItemGroupOid(form.FormCode));
            var definition = protocol.FindForm(form.FormCode);
            var fields = definition?.Fields.Select(f => f.Code).ToList() ?? [];
            // Defined fields in the form's order; a stored value the definition lacks (none should) is still written, never dropped.
            foreach (var code in fields.Where(form.Values.ContainsKey).Concat(form.Values.Keys.Except(fields, StringComparer.Ordinal).Order(StringComparer.Ordinal)))
            {
                ItemData(ItemOid(form.FormCode, code), form.Values[code]);
            }

            var scores = definition?.Scores.Select(s => s.Code).ToList() ?? [];
            foreach (var code in scores.Where(form.Scores.ContainsKey).Concat(form.Scores.Keys.Except(scores, StringComparer.Ordinal).Order(StringComparer.Ordinal)))
            {
                ItemData(ScoreOid(form.FormCode, code), Number(form.Scores[code]));
            }

            End();
            End();
        }

        private void AdverseEvents(ExportParticipant participant, string location)
        {
            var events = _events[participant.Id].OrderBy(a => a.Number, StringComparer.Ordinal).ToList();
            if (events.Count == 0)
            {
                return;
            }

            Start("StudyEventData");
            Attr("StudyEventOID", AdverseEventsEvent);
            Start("FormData");
            Attr("FormOID", SyntheticFormOid("AE"));
            foreach (var ae in events)
            {
                Start("ItemGroupData");
                Attr("ItemGroupOID", SyntheticGroupOid("AE"));
                Attr("ItemGroupRepeatKey", ae.Number);
                WriteAuditRecord(Latest("AdverseEvent", Key(ae.Id)), location);
                var signature = WriteSignature(participant.Id, SignatureSubject.AdverseEvent, ae.Number, location);
                BrokenSignatureNote(signature, $"adverse event {ae.Number} signature");
                SyntheticItems("AE",
                [
                    ("AENUM", ae.Number),
                    ("AEVER", Number(ae.Version)),
                    ("AETERM", ae.ReportedTerm),
                    ("AEDECOD", ae.CodedTerm),
                    ("AECODE", ae.Code),
                    ("AESTDT", Date(ae.Onset)),
                    ("AEENDT", Date(ae.End)),
                    ("AEGRADE", Number(ae.Grade)),
                    ("AESER", YesNo.Format(ae.Serious)),
                    ("AESERCRIT", ae.SeriousnessCriteria),
                    ("AEREL", ae.Causality.ToString()),
                    ("AEACN", ae.ActionTaken.ToString()),
                    ("AEOUT", ae.Outcome.ToString()),
                    ("AESI", ae.SpecialInterestCode),
                    ("AEAWARE", Stamp(ae.SiteAwareAt)),
                    ("AERECV", Stamp(ae.ReceivedAt)),
                ]);
                End();
            }

            End();
            End();
        }

        private void Supply(ExportParticipant participant)
        {
            var kits = _kits[participant.Id].ToList();
            var diary = _diary[participant.Id].OrderBy(d => d.StudyDay).ToList();
            if (kits.Count == 0 && diary.Count == 0)
            {
                return;
            }

            Start("StudyEventData");
            Attr("StudyEventOID", SupplyEvent);
            if (kits.Count > 0)
            {
                Start("FormData");
                Attr("FormOID", SyntheticFormOid("KIT"));
                var key = 1;
                foreach (var kit in kits)
                {
                    Start("ItemGroupData");
                    Attr("ItemGroupOID", SyntheticGroupOid("KIT"));
                    // A running number, not the kit code: the key must be unique even if a kit were ever handed out twice.
                    Attr("ItemGroupRepeatKey", Number(key++));
                    SyntheticItems("KIT",
                    [
                        ("KITCODE", kit.KitCode),
                        ("KITVIS", kit.VisitCode),
                        ("KITKIND", kit.Kind.ToString()),
                        ("KITDISPDT", Date(kit.DispensedOn)),
                        ("KITUNITS", Number(kit.UnitsPerKit)),
                        ("KITRETDT", Date(kit.ReturnedOn)),
                        ("KITUNUSED", kit.UnusedUnitsReturned is { } unused ? Number(unused) : null),
                        ("KITSCHED", kit.DosesScheduled is { } scheduled ? Number(scheduled) : null),
                        ("KITTAKEN", kit.DosesTaken is { } taken ? Number(taken) : null),
                        ("KITADH", kit.AdherencePercent?.ToString(CultureInfo.InvariantCulture)),
                    ]);
                    End();
                }

                End();
            }

            if (diary.Count > 0)
            {
                Start("FormData");
                Attr("FormOID", SyntheticFormOid("DIARY"));
                foreach (var day in diary)
                {
                    Start("ItemGroupData");
                    Attr("ItemGroupOID", SyntheticGroupOid("DIARY"));
                    Attr("ItemGroupRepeatKey", Number(day.StudyDay));
                    WriteAuditRecord(Latest("DiaryEntry", $"{Key(participant.Id)}/{Number(day.StudyDay)}"), LocationOid(participant.SiteCode));
                    SyntheticItems("DIARY", [("DIARYDAY", Number(day.StudyDay)), ("DIARYDOSE", YesNo.Format(day.TookDose))]);
                    End();
                }

                End();
            }

            End();
        }

        // ---- Audit records and signatures ----

        /// <summary>
        /// ODM 1.3.2 allows one AuditRecord per element, so each element carries the latest audit entry about the record
        /// it shows (a form: its entry or any of its values; a visit, an adverse event, a diary day: its row; a
        /// participant: the participant row, else their first entry). The full trail stays in the system's audit views.
        /// </summary>
        private void WriteAuditRecord(ExportAuditRecord? entry, string location)
        {
            if (entry is null)
            {
                return;
            }

            Start("AuditRecord");
            Start("UserRef");
            Attr("UserOID", UserOid(entry.UserId));
            End();
            Start("LocationRef");
            Attr("LocationOID", location);
            End();
            Element("DateTimeStamp", Stamp(entry.At));
            if (!string.IsNullOrWhiteSpace(entry.Reason))
            {
                Element("ReasonForChange", entry.Reason);
            }

            Element("SourceID", entry.Sequence.ToString(CultureInfo.InvariantCulture));
            End();
        }

        private ExportAuditRecord? ParticipantAudit(ExportParticipant participant) =>
            Latest("Participant", Key(participant.Id)) ?? _firstAudit.GetValueOrDefault(participant.Id);

        private ExportAuditRecord? Latest(string entityType, string entityId) => _latestAudit.GetValueOrDefault(AuditKey(entityType, entityId));

        /// <summary>The latest signature of the kind (the one that stands, when a record was signed again), written where it sits in ODM.</summary>
        private ExportSignature? WriteSignature(Guid participantId, SignatureSubject subject, string key, string location)
        {
            if (!_latestSignature.TryGetValue((participantId, subject, key), out var signature))
            {
                return null;
            }

            Start("Signature");
            Start("UserRef");
            Attr("UserOID", UserOid(signature.SignedByUserId));
            End();
            Start("LocationRef");
            Attr("LocationOID", location);
            End();
            Start("SignatureRef");
            Attr("SignatureOID", _signatureDefs[signature.Meaning]);
            End();
            Element("DateTimeStamp", Stamp(signature.SignedAt));
            End();
            return signature;
        }

        /// <summary>A signature whose content changed since is still exported, with a note on the same element saying so.</summary>
        private void BrokenSignatureNote(ExportSignature? signature, string what)
        {
            if (signature is null || signature.Intact)
            {
                return;
            }

            Start("Annotation");
            Attr("SeqNum", "1");
            Element("Comment", $"Broken signature: the content under the {what} by {signature.SignedByName} at {Stamp(signature.SignedAt)} ({signature.Meaning}) has changed since it was signed (signed content SHA-256 {signature.ContentHash}).");
            End();
        }

        private static Dictionary<string, ExportAuditRecord> LatestAudit(IReadOnlyList<ExportAuditRecord> audit)
        {
            var latest = new Dictionary<string, ExportAuditRecord>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in audit.OrderBy(a => a.Sequence))
            {
                // A form value's key is "form entry id/field code": a change to a value is a change to its form.
                var (type, id) = entry.EntityType == "FormValue" && entry.EntityId.IndexOf('/', StringComparison.Ordinal) is var slash and > 0
                    ? ("FormEntry", entry.EntityId[..slash])
                    : (entry.EntityType, entry.EntityId);
                latest[AuditKey(type, id)] = entry;
            }

            return latest;
        }

        private static string AuditKey(string entityType, string entityId) => entityType + "\n" + entityId;

        private static Dictionary<(Guid, SignatureSubject, string), ExportSignature> LatestSignatures(IReadOnlyList<ExportSignature> signatures)
        {
            var latest = new Dictionary<(Guid, SignatureSubject, string), ExportSignature>();
            foreach (var signature in signatures.OrderBy(s => s.SignedAt).ThenBy(s => s.Id))
            {
                var key = signature.Subject switch
                {
                    SignatureSubject.Visit => signature.VisitCode,
                    SignatureSubject.AdverseEvent => signature.AdverseEventNumber,
                    _ => "",
                };
                if (key is not null)
                {
                    latest[(signature.ParticipantId, signature.Subject, key)] = signature;
                }
            }

            return latest;
        }

        /// <summary>"SD." and the meaning in lower-case words joined by '-', numbered when two meanings read alike.</summary>
        private static Dictionary<string, string> SignatureDefOids(IReadOnlyList<ExportSignature> signatures)
        {
            var oids = new Dictionary<string, string>(StringComparer.Ordinal);
            var taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var meaning in signatures.Select(s => s.Meaning).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var words = new StringBuilder();
                foreach (var c in meaning)
                {
                    if (char.IsAsciiLetterOrDigit(c))
                    {
                        words.Append(char.ToLowerInvariant(c));
                    }
                    else if (words.Length > 0 && words[^1] != '-')
                    {
                        words.Append('-');
                    }
                }

                var slug = words.ToString().Trim('-');
                slug = slug.Length == 0 ? "meaning" : slug[..Math.Min(slug.Length, 40)].TrimEnd('-');
                var oid = "SD." + slug;
                for (var n = 2; !taken.Add(oid); n++)
                {
                    oid = $"SD.{slug}-{Number(n)}";
                }

                oids[meaning] = oid;
            }

            return oids;
        }

        // ---- Writing ----

        private void Start(string name) => xml.WriteStartElement(name, Namespace);

        private void End() => xml.WriteEndElement();

        private void Attr(string name, string? value)
        {
            if (value is not null)
            {
                xml.WriteAttributeString(name, Clean(value));
            }
        }

        private void Element(string name, string text) => xml.WriteElementString(name, Namespace, Clean(text));

        private void Translated(string name, string text)
        {
            Start(name);
            Element("TranslatedText", text);
            End();
        }

        private static string Key(Guid id) => id.ToString("D");

        private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

        private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

        private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        private static string? Date(DateOnly? date) => date is { } d ? Date(d) : null;

        private static string NonEmpty(string? text, string fallback) => string.IsNullOrWhiteSpace(text) ? fallback : text;

        /// <summary>
        /// XML 1.0 cannot carry control characters other than tab and line breaks, nor half a surrogate pair. Entered
        /// values never hold them (the form parser refuses them), so this only guards free text from elsewhere, which
        /// would otherwise fail the whole export: such a character becomes U+FFFD.
        /// </summary>
        private static string Clean(string text)
        {
            StringBuilder? cleaned = null;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (XmlConvert.IsXmlChar(c))
                {
                    cleaned?.Append(c);
                }
                else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], c))
                {
                    cleaned?.Append(c).Append(text[i + 1]);
                    i++;
                }
                else
                {
                    cleaned ??= new StringBuilder(text, 0, i, text.Length);
                    cleaned.Append('\uFFFD');
                }
            }

            return cleaned?.ToString() ?? text;
        }
    }
}
