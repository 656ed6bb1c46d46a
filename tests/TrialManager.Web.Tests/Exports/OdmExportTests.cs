using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Exports;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Exports;

/// <summary>
/// The ODM 1.3.2 writer on snapshots built in memory from the shipped protocols: every field type, empty and
/// multi-line values, markup characters and non-Latin text, two protocol versions, adverse events, kits, diary,
/// audit entries and signatures (intact and broken), blinded and unblinded. Every file must pass the official schema
/// and hold together (every reference defined), give every stored value back exactly, and a blinded file must name no arm.
/// </summary>
public class OdmExportTests
{
    public static TheoryData<string, bool, bool, bool> Variants()
    {
        var data = new TheoryData<string, bool, bool, bool>();
        foreach (var file in OdmSample.Files)
        {
            foreach (var unblinded in new[] { false, true })
            {
                foreach (var (audit, signatures) in new[] { (false, false), (true, false), (false, true), (true, true) })
                {
                    data.Add(file, unblinded, audit, signatures);
                }
            }
        }

        return data;
    }

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in OdmSample.Files)
        {
            data.Add(file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_variant_is_valid_ODM_1_3_2_and_every_reference_is_defined(string file, bool unblinded, bool audit, bool signatures)
    {
        var snapshot = OdmSample.Snapshot(file, unblinded, audit, signatures);
        var xml = OdmExport.Write(snapshot);
        OdmChecks.AssertValid(xml);
        OdmChecks.AssertConsistent(OdmChecks.Parse(xml));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void A_blinded_export_names_no_arm_anywhere(string file)
    {
        var snapshot = OdmSample.Snapshot(file, unblinded: false, audit: true, signatures: true);
        Assert.Null(snapshot.Arms);
        var xml = OdmExport.Write(snapshot);
        var text = Encoding.UTF8.GetString(xml);
        foreach (var secret in OdmSample.ArmSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }

        var doc = OdmChecks.Parse(xml);
        Assert.DoesNotContain(doc.Descendants(OdmChecks.Odm + "ItemDef"), d => ((string)d.Attribute("OID")!).Contains(".ARM", StringComparison.Ordinal));
        Assert.DoesNotContain(doc.Descendants(OdmChecks.Odm + "ItemRef"), d => ((string)d.Attribute("ItemOID")!).Contains(".ARM", StringComparison.Ordinal));
        Assert.DoesNotContain(doc.Descendants(OdmChecks.Odm + "ItemData"), d => ((string)d.Attribute("ItemOID")!).Contains(".ARM", StringComparison.Ordinal));
        Assert.DoesNotContain(doc.Descendants(OdmChecks.Odm + "CodeList"), d => ((string)d.Attribute("OID")!).Contains(".ARM", StringComparison.Ordinal));
        Assert.Contains("blinded", (string)doc.Root!.Attribute("Description")!, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void A_blinded_export_of_the_shipped_protocol_has_none_of_its_arm_labels_or_codes(string file)
    {
        var snapshot = OdmSample.Snapshot(file, unblinded: false, audit: true, signatures: true, secretArms: false);
        var xml = OdmExport.Write(snapshot);
        var text = Encoding.UTF8.GetString(xml);
        var doc = OdmChecks.Parse(xml);
        // The shipped codes (PSI, LSD, PBO) are parts of ordinary words and of the trial code, so they are looked for
        // as whole attribute values and texts; the labels are distinctive and looked for anywhere.
        var values = doc.Descendants().SelectMany(e => e.Attributes().Select(a => a.Value).Append(e.HasElements ? "" : e.Value)).ToHashSet(StringComparer.Ordinal);
        foreach (var arm in snapshot.Current.Protocol.Arms)
        {
            Assert.DoesNotContain(arm.BlindedLabel, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(arm.Code, values);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void An_unblinded_export_carries_each_randomized_participants_arm(string file)
    {
        var snapshot = OdmSample.Snapshot(file, unblinded: true);
        var doc = OdmChecks.Parse(OdmExport.Write(snapshot));
        foreach (var mdv in doc.Descendants(OdmChecks.Odm + "MetaDataVersion"))
        {
            Assert.Single(mdv.Elements(OdmChecks.Odm + "ItemDef"), d => (string)d.Attribute("OID")! == OdmExport.SyntheticItemOid("RAND", "ARM"));
            Assert.Single(mdv.Elements(OdmChecks.Odm + "ItemDef"), d => (string)d.Attribute("OID")! == OdmExport.SyntheticItemOid("RAND", "ARMLABEL"));
        }

        var arms = snapshot.Arms!;
        Assert.NotEmpty(arms);
        Assert.Contains(snapshot.Participants, p => !arms.ContainsKey(p.Id));
        foreach (var participant in snapshot.Participants)
        {
            var items = OdmChecks.SubjectItems(doc, participant.Number, OdmExport.RegistrationEvent);
            if (arms.TryGetValue(participant.Id, out var arm))
            {
                Assert.Equal(arm.Code, items[OdmExport.SyntheticItemOid("RAND", "ARM")]);
                Assert.Equal(arm.Label, items[OdmExport.SyntheticItemOid("RAND", "ARMLABEL")]);
            }
            else
            {
                Assert.DoesNotContain(OdmExport.SyntheticItemOid("RAND", "ARM"), items.Keys);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_stored_value_and_score_comes_back_exactly_under_its_protocol_version(string file)
    {
        var snapshot = OdmSample.Snapshot(file, unblinded: true, audit: true, signatures: true);
        var doc = OdmChecks.Parse(OdmExport.Write(snapshot));
        OdmChecks.AssertValuesRoundTrip(snapshot, doc);

        Assert.Contains(snapshot.Forms, f => f.Values.Values.Contains(OdmSample.Tricky));
        Assert.Contains(snapshot.Forms, f => f.Values.Count == 0);
        Assert.Contains(snapshot.Forms, f => f.ProtocolSequence != snapshot.Participants.Single(p => p.Id == f.ParticipantId).ProtocolSequence);

        foreach (var ae in snapshot.AdverseEvents)
        {
            var group = doc.Descendants(OdmChecks.Odm + "ItemGroupData").Single(g => (string?)g.Attribute("ItemGroupRepeatKey") == ae.Number && (string)g.Attribute("ItemGroupOID")! == OdmExport.SyntheticGroupOid("AE"));
            var items = OdmChecks.Items(group);
            Assert.Equal(ae.ReportedTerm, items[OdmExport.SyntheticItemOid("AE", "AETERM")]);
            Assert.Equal(ae.SeriousnessCriteria.Length > 0 ? ae.SeriousnessCriteria : null, items.GetValueOrDefault(OdmExport.SyntheticItemOid("AE", "AESERCRIT")));
            Assert.Equal(ae.Causality.ToString(), items[OdmExport.SyntheticItemOid("AE", "AEREL")]);
            Assert.Equal(ae.End?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), items.GetValueOrDefault(OdmExport.SyntheticItemOid("AE", "AEENDT")));
        }

        foreach (var participant in snapshot.Participants)
        {
            var items = OdmChecks.SubjectItems(doc, participant.Number, OdmExport.RegistrationEvent);
            Assert.Equal(participant.WithdrawalReason, items.GetValueOrDefault(OdmExport.SyntheticItemOid("SUBJ", "WDREASON")));
            Assert.Equal(participant.RandomizationNumber, items.GetValueOrDefault(OdmExport.SyntheticItemOid("RAND", "RANDNO")));
        }

        var missed = snapshot.Visits.Single(v => v.Missed && v.SiteCode == snapshot.Sites[0].Code);
        var missedItems = OdmChecks.SubjectItems(doc, missed.Participant, OdmExport.StudyEventOid(missed.VisitCode));
        Assert.Equal("yes", missedItems[OdmExport.SyntheticItemOid(OdmExport.VisitGroup, "VISMISSED")]);
        Assert.DoesNotContain(OdmExport.SyntheticItemOid(OdmExport.VisitGroup, "VISDT"), missedItems.Keys);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_metadata_of_each_protocol_version_matches_the_protocol(string file)
    {
        var snapshot = OdmSample.Snapshot(file);
        var doc = OdmChecks.Parse(OdmExport.Write(snapshot));
        var mdvs = doc.Descendants(OdmChecks.Odm + "MetaDataVersion").ToList();
        Assert.Equal(snapshot.ProtocolVersions.Select(v => OdmExport.MetaDataVersionOid(v.Sequence)), mdvs.Select(m => (string)m.Attribute("OID")!));
        Assert.Equal(["Protocol 1.0", "Protocol 2.0"], mdvs.Select(m => (string)m.Attribute("Name")!));

        var units = snapshot.ProtocolVersions.SelectMany(v => v.Protocol.Forms.SelectMany(f => f.Fields).Select(f => f.Unit).Append(v.Protocol.Kits.Unit)).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(units, doc.Descendants(OdmChecks.Odm + "MeasurementUnit").Select(u => (string)u.Attribute("Name")!).Order(StringComparer.Ordinal));
        Assert.Contains("°C", units);

        foreach (var version in snapshot.ProtocolVersions)
        {
            var protocol = version.Protocol;
            var mdv = mdvs.Single(m => (string)m.Attribute("OID")! == OdmExport.MetaDataVersionOid(version.Sequence));
            string[] events = [OdmExport.RegistrationEvent, .. protocol.Visits.Select(v => OdmExport.StudyEventOid(v.Code)), OdmExport.AdverseEventsEvent, OdmExport.SupplyEvent];
            Assert.Equal(events, mdv.Element(OdmChecks.Odm + "Protocol")!.Elements(OdmChecks.Odm + "StudyEventRef").Select(r => (string)r.Attribute("StudyEventOID")!));
            foreach (var visit in protocol.Visits)
            {
                var def = OdmChecks.Def(mdv, "StudyEventDef", OdmExport.StudyEventOid(visit.Code));
                Assert.Equal("Scheduled", (string)def.Attribute("Type")!);
                Assert.Equal("No", (string)def.Attribute("Repeating")!);
                Assert.Equal(
                    [OdmExport.SyntheticFormOid(OdmExport.VisitGroup), .. visit.Forms.Select(OdmExport.FormOid)],
                    def.Elements(OdmChecks.Odm + "FormRef").Select(r => (string)r.Attribute("FormOID")!));
            }

            var protocolForms = mdv.Elements(OdmChecks.Odm + "FormDef").Where(f => !((string)f.Attribute("OID")!).StartsWith("F.TM.", StringComparison.Ordinal)).ToList();
            Assert.Equal(protocol.Forms.Select(f => OdmExport.FormOid(f.Code)), protocolForms.Select(f => (string)f.Attribute("OID")!));

            var fieldItems = mdv.Elements(OdmChecks.Odm + "ItemDef").Where(d => !((string)d.Attribute("OID")!).StartsWith("I.TM.", StringComparison.Ordinal) && !((string)d.Attribute("OID")!).Contains(".SCORE.", StringComparison.Ordinal));
            Assert.Equal(protocol.Forms.Sum(f => f.Fields.Count), fieldItems.Count());
            var choiceFields = protocol.Forms.SelectMany(f => f.Fields.Where(x => x.Type is FieldType.SingleChoice or FieldType.MultipleChoice).Select(x => (Form: f, Field: x))).ToList();
            Assert.Equal(choiceFields.Count, mdv.Elements(OdmChecks.Odm + "CodeList").Count(c => !((string)c.Attribute("OID")!).StartsWith("CL.TM.", StringComparison.Ordinal) && (string)c.Attribute("OID")! != OdmExport.YesNoCodeList));

            foreach (var form in protocol.Forms)
            {
                var group = OdmChecks.Def(mdv, "ItemGroupDef", OdmExport.ItemGroupOid(form.Code));
                var refs = group.Elements(OdmChecks.Odm + "ItemRef").ToList();
                Assert.Equal([.. form.Fields.Select(f => OdmExport.ItemOid(form.Code, f.Code)), .. form.Scores.Select(s => OdmExport.ScoreOid(form.Code, s.Code))], refs.Select(r => (string)r.Attribute("ItemOID")!));
                foreach (var field in form.Fields)
                {
                    var itemRef = refs.Single(r => (string)r.Attribute("ItemOID")! == OdmExport.ItemOid(form.Code, field.Code));
                    Assert.Equal(field.Required ? "Yes" : "No", (string)itemRef.Attribute("Mandatory")!);
                    AssertField(mdv, form, field);
                }

                foreach (var score in form.Scores)
                {
                    var itemRef = refs.Single(r => (string)r.Attribute("ItemOID")! == OdmExport.ScoreOid(form.Code, score.Code));
                    var method = OdmChecks.Def(mdv, "MethodDef", (string)itemRef.Attribute("MethodOID")!);
                    Assert.Equal("Computation", (string)method.Attribute("Type")!);
                    var item = OdmChecks.Def(mdv, "ItemDef", OdmExport.ScoreOid(form.Code, score.Code));
                    Assert.Equal("integer", (string)item.Attribute("DataType")!);
                    Assert.Equal([score.Minimum.ToString(CultureInfo.InvariantCulture), score.Maximum.ToString(CultureInfo.InvariantCulture)], item.Elements(OdmChecks.Odm + "RangeCheck").Select(r => r.Element(OdmChecks.Odm + "CheckValue")!.Value));
                }
            }
        }

        var v2 = mdvs[1];
        Assert.Single(v2.Elements(OdmChecks.Odm + "ItemDef"), d => (string)d.Attribute("OID")! == OdmExport.ItemOid("VITALS", OdmSample.AddedField));
        Assert.DoesNotContain(mdvs[0].Elements(OdmChecks.Odm + "ItemDef"), d => (string)d.Attribute("OID")! == OdmExport.ItemOid("VITALS", OdmSample.AddedField));
    }

    [Fact]
    public void Signatures_sit_on_the_visit_the_adverse_event_and_the_casebook_and_a_broken_one_says_so()
    {
        var snapshot = OdmSample.Snapshot(OdmSample.Files[0], signatures: true);
        var doc = OdmChecks.Parse(OdmExport.Write(snapshot));
        var meanings = snapshot.Signatures.Select(s => s.Meaning).Distinct().ToList();
        var defs = doc.Descendants(OdmChecks.Odm + "SignatureDef").ToList();
        Assert.Equal(meanings.Order(StringComparer.Ordinal), defs.Select(d => d.Element(OdmChecks.Odm + "Meaning")!.Value).Order(StringComparer.Ordinal));
        Assert.All(defs, d => Assert.Equal("Electronic", (string)d.Attribute("Methodology")!));
        Assert.All(defs, d => Assert.Equal(OdmExport.LegalReason, d.Element(OdmChecks.Odm + "LegalReason")!.Value));
        Assert.Contains(defs, d => (string)d.Attribute("OID")! == "SD.reviewed-and-approved");

        // Per signed thing, the latest signature stands; an older one of the same visit is not written.
        var standing = snapshot.Signatures.GroupBy(s => (s.ParticipantId, s.Subject, s.VisitCode, s.AdverseEventNumber)).Select(g => g.MaxBy(s => s.SignedAt)!).ToList();
        Assert.True(standing.Count < snapshot.Signatures.Count);
        Assert.Equal(standing.Count, doc.Descendants(OdmChecks.Odm + "Signature").Count());
        foreach (var signature in standing)
        {
            var participant = snapshot.Participants.Single(p => p.Id == signature.ParticipantId);
            var subject = OdmChecks.HomeSubject(doc, snapshot, participant);
            var holder = signature.Subject switch
            {
                SignatureSubject.Casebook => subject,
                SignatureSubject.Visit => subject.Elements(OdmChecks.Odm + "StudyEventData").Single(e => (string)e.Attribute("StudyEventOID")! == OdmExport.StudyEventOid(signature.VisitCode) && e.Element(OdmChecks.Odm + "Signature") is not null),
                _ => subject.Descendants(OdmChecks.Odm + "ItemGroupData").Single(g => (string?)g.Attribute("ItemGroupRepeatKey") == signature.AdverseEventNumber),
            };
            var written = holder.Element(OdmChecks.Odm + "Signature")!;
            Assert.Equal(OdmExport.UserOid(signature.SignedByUserId), (string)written.Element(OdmChecks.Odm + "UserRef")!.Attribute("UserOID")!);
            Assert.Equal(OdmExport.LocationOid(participant.SiteCode), (string)written.Element(OdmChecks.Odm + "LocationRef")!.Attribute("LocationOID")!);
            Assert.Equal(signature.SignedAt, XmlConvert.ToDateTimeOffset(written.Element(OdmChecks.Odm + "DateTimeStamp")!.Value));
            var meaning = defs.Single(d => (string)d.Attribute("OID")! == (string)written.Element(OdmChecks.Odm + "SignatureRef")!.Attribute("SignatureOID")!);
            Assert.Equal(signature.Meaning, meaning.Element(OdmChecks.Odm + "Meaning")!.Value);
            var notes = holder.Elements(OdmChecks.Odm + "Annotation").Select(a => a.Element(OdmChecks.Odm + "Comment")?.Value ?? "").Where(c => c.StartsWith("Broken signature", StringComparison.Ordinal)).ToList();
            Assert.Equal(signature.Intact ? 0 : 1, notes.Count);
        }

        Assert.Contains(standing, s => !s.Intact && s.Subject == SignatureSubject.Visit);
        Assert.Contains(standing, s => !s.Intact && s.Subject == SignatureSubject.AdverseEvent);
        Assert.Contains(standing, s => !s.Intact && s.Subject == SignatureSubject.Casebook);
        Assert.Contains(standing, s => s.Intact);

        var users = doc.Descendants(OdmChecks.Odm + "User").ToDictionary(u => (string)u.Attribute("OID")!, u => u.Element(OdmChecks.Odm + "FullName")!.Value);
        Assert.All(standing, s => Assert.Equal(s.SignedByName, users[OdmExport.UserOid(s.SignedByUserId)]));
    }

    [Fact]
    public void Each_element_carries_the_latest_audit_entry_about_its_record()
    {
        var snapshot = OdmSample.Snapshot(OdmSample.Files[0], audit: true);
        var doc = OdmChecks.Parse(OdmExport.Write(snapshot));
        foreach (var form in snapshot.Forms)
        {
            var id = form.Id.ToString();
            var latest = snapshot.Audit.Where(a => (a.EntityType == "FormEntry" && a.EntityId == id) || (a.EntityType == "FormValue" && a.EntityId.StartsWith(id + "/", StringComparison.Ordinal))).MaxBy(a => a.Sequence)!;
            var record = OdmChecks.FormData(doc, form).Element(OdmChecks.Odm + "AuditRecord")!;
            AssertAudit(latest, record, OdmExport.LocationOid(form.SiteCode));
        }

        Assert.Contains(snapshot.Audit, a => a.EntityType == "FormValue" && a.Reason.Length > 0);
        foreach (var participant in snapshot.Participants)
        {
            var latest = snapshot.Audit.Where(a => a.EntityType == "Participant" && a.EntityId == participant.Id.ToString()).MaxBy(a => a.Sequence)!;
            AssertAudit(latest, OdmChecks.HomeSubject(doc, snapshot, participant).Element(OdmChecks.Odm + "AuditRecord")!, OdmExport.LocationOid(participant.SiteCode));
        }

        foreach (var ae in snapshot.AdverseEvents)
        {
            var latest = snapshot.Audit.Where(a => a.EntityType == "AdverseEvent" && a.EntityId == ae.Id.ToString()).MaxBy(a => a.Sequence)!;
            var group = doc.Descendants(OdmChecks.Odm + "ItemGroupData").Single(g => (string?)g.Attribute("ItemGroupRepeatKey") == ae.Number);
            AssertAudit(latest, group.Element(OdmChecks.Odm + "AuditRecord")!, OdmExport.LocationOid(ae.SiteCode));
        }

        // A user who was renamed is listed once, under the name they last acted with.
        var users = doc.Descendants(OdmChecks.Odm + "User").ToList();
        Assert.Equal(snapshot.Audit.Select(a => a.UserId).Distinct().Count(), users.Count);
        Assert.Equal(OdmSample.Coordinator.Name, users.Single(u => (string)u.Attribute("OID")! == OdmExport.UserOid(OdmSample.Coordinator.Id)).Element(OdmChecks.Odm + "FullName")!.Value);
        Assert.Contains(snapshot.Audit, a => a.UserName == OdmSample.CoordinatorFormerName);
        Assert.DoesNotContain(OdmSample.CoordinatorFormerName, doc.Descendants(OdmChecks.Odm + "FullName").Select(n => n.Value));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Without_audit_and_signatures_the_file_has_no_audit_records_signatures_or_people(string file)
    {
        var doc = OdmChecks.Parse(OdmExport.Write(OdmSample.Snapshot(file)));
        foreach (var name in new[] { "AuditRecord", "Signature", "User", "SignatureDef" })
        {
            Assert.Empty(doc.Descendants(OdmChecks.Odm + name));
        }

        Assert.Equal(2, doc.Descendants(OdmChecks.Odm + "Location").Count());
        Assert.All(doc.Descendants(OdmChecks.Odm + "Location"), l => Assert.Equal(2, l.Elements(OdmChecks.Odm + "MetaDataVersionRef").Count()));
    }

    [Fact]
    public void The_same_snapshot_gives_the_same_bytes_with_the_file_attributes_of_an_ODM_snapshot()
    {
        var snapshot = OdmSample.Snapshot(OdmSample.Files[1], unblinded: true, audit: true, signatures: true);
        var first = OdmExport.Write(snapshot);
        Assert.Equal(first, OdmExport.Write(snapshot));
        Assert.Equal(first, OdmExport.Write(OdmSample.Snapshot(OdmSample.Files[1], unblinded: true, audit: true, signatures: true)));
        Assert.NotEqual(0xEF, first[0]);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", Encoding.UTF8.GetString(first), StringComparison.Ordinal);

        var root = OdmChecks.Parse(first).Root!;
        Assert.Equal(OdmChecks.Odm + "ODM", root.Name);
        Assert.Equal("1.3.2", (string)root.Attribute("ODMVersion")!);
        Assert.Equal("Snapshot", (string)root.Attribute("FileType")!);
        Assert.Equal("All", (string)root.Attribute("Granularity")!);
        Assert.Equal("TrialManager", (string)root.Attribute("Originator")!);
        Assert.Equal("TrialManager", (string)root.Attribute("SourceSystem")!);
        Assert.Equal(OdmSample.ExportedAt, XmlConvert.ToDateTimeOffset((string)root.Attribute("CreationDateTime")!));
        Assert.Equal($"{snapshot.Trial.Code}.20260504T093015123{"0000"}Z", (string)root.Attribute("FileOID")!);
        Assert.DoesNotContain(root.Descendants(), e => e.Attribute("TransactionType") is not null);

        var later = OdmExport.Write(snapshot with { Trial = snapshot.Trial with { ExportedAt = OdmSample.ExportedAt.AddSeconds(1) } });
        Assert.NotEqual((string)root.Attribute("FileOID")!, (string)OdmChecks.Parse(later).Root!.Attribute("FileOID")!);
    }

    [Fact]
    public void The_schema_check_finds_what_is_wrong_in_a_broken_file()
    {
        var doc = OdmChecks.Parse(OdmExport.Write(OdmSample.Snapshot(OdmSample.Files[0], audit: true, signatures: true)));
        doc.Root!.Attribute("FileOID")!.Remove();
        doc.Descendants(OdmChecks.Odm + "ItemGroupData").Last().AddFirst(new XElement(OdmChecks.Odm + "ItemData", new XAttribute("ItemOID", "I.X"), new XAttribute("TransactionType", "Snapshot")));
        var signature = doc.Descendants(OdmChecks.Odm + "Signature").First();
        signature.AddAfterSelf(new XElement(signature));
        using var stream = new MemoryStream();
        doc.Save(stream);

        var errors = OdmSchema.Validate(stream.ToArray());
        Assert.Contains(errors, e => e.Contains("FileOID", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("TransactionType", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Signature", StringComparison.Ordinal));
    }

    [Fact]
    public void A_character_XML_cannot_carry_becomes_a_replacement_character_rather_than_failing_the_export()
    {
        var snapshot = OdmSample.Snapshot(OdmSample.Files[0]);
        var events = snapshot.AdverseEvents.ToList();
        events[0] = events[0] with { ReportedTerm = "Bell\u0007 and half a pair \uD83D here" };
        var doc = OdmChecks.Parse(OdmExport.Write(snapshot with { AdverseEvents = events }));
        var term = doc.Descendants(OdmChecks.Odm + "ItemData").Single(i => (string)i.Attribute("Value")! == "Bell\uFFFD and half a pair \uFFFD here");
        Assert.Equal(OdmExport.SyntheticItemOid("AE", "AETERM"), (string)term.Attribute("ItemOID")!);
    }

    [Fact]
    public void Oid_segments_are_ascii_and_distinct_texts_stay_distinct()
    {
        Assert.Equal("W4", OdmExport.Oid("W4"));
        Assert.Equal("new_murmur", OdmExport.Oid("new_murmur"));
        Assert.Equal("~00B0C", OdmExport.Oid("°C"));
        Assert.Equal("a~002Eb", OdmExport.Oid("a.b"));
        Assert.NotEqual(OdmExport.Oid("a.b"), OdmExport.Oid("a~002Eb"));
        Assert.All(OdmExport.Oid("µg/m² 東京").ToCharArray(), c => Assert.True(char.IsAscii(c)));
    }

    private static void AssertField(XElement mdv, FormDefinition form, FieldDefinition field)
    {
        var item = OdmChecks.Def(mdv, "ItemDef", OdmExport.ItemOid(form.Code, field.Code));
        var dataType = (string)item.Attribute("DataType")!;
        var expected = field.Type switch
        {
            FieldType.Integer => "integer",
            FieldType.Decimal => "float",
            FieldType.Date => "date",
            FieldType.SingleChoice when field.HasNumericChoices => "integer",
            _ => "text",
        };
        Assert.Equal(expected, dataType);
        Assert.Equal(field.Label, item.Element(OdmChecks.Odm + "Question")!.Element(OdmChecks.Odm + "TranslatedText")!.Value);
        if (field.Type == FieldType.Text)
        {
            Assert.Equal(field.EffectiveMaxLength.ToString(CultureInfo.InvariantCulture), (string?)item.Attribute("Length"));
        }

        Assert.Equal(field.Unit is null ? Array.Empty<string>() : [OdmExport.UnitOid(field.Unit)], item.Elements(OdmChecks.Odm + "MeasurementUnitRef").Select(u => (string)u.Attribute("MeasurementUnitOID")!));
        var checks = item.Elements(OdmChecks.Odm + "RangeCheck").ToDictionary(r => (string)r.Attribute("Comparator")!, r => r.Element(OdmChecks.Odm + "CheckValue")!.Value);
        Assert.Equal(field.Minimum?.ToString(CultureInfo.InvariantCulture), checks.GetValueOrDefault("GE"));
        Assert.Equal(field.Maximum?.ToString(CultureInfo.InvariantCulture), checks.GetValueOrDefault("LE"));
        Assert.All(item.Elements(OdmChecks.Odm + "RangeCheck"), r => Assert.Equal("Hard", (string)r.Attribute("SoftHard")!));

        var codeList = (string?)item.Element(OdmChecks.Odm + "CodeListRef")?.Attribute("CodeListOID");
        switch (field.Type)
        {
            case FieldType.SingleChoice or FieldType.MultipleChoice:
                Assert.Equal(OdmExport.CodeListOid(form.Code, field.Code), codeList);
                var list = OdmChecks.Def(mdv, "CodeList", codeList!);
                Assert.Equal(dataType, (string)list.Attribute("DataType")!);
                Assert.Equal(
                    field.Choices.Select(c => (c.Code, c.Label)),
                    list.Elements(OdmChecks.Odm + "CodeListItem").Select(i => ((string)i.Attribute("CodedValue")!, i.Element(OdmChecks.Odm + "Decode")!.Element(OdmChecks.Odm + "TranslatedText")!.Value)));
                break;
            case FieldType.YesNo:
                Assert.Equal(OdmExport.YesNoCodeList, codeList);
                break;
            default:
                Assert.Null(codeList);
                break;
        }
    }

    private static void AssertAudit(ExportAuditRecord expected, XElement record, string location)
    {
        Assert.Equal(OdmExport.UserOid(expected.UserId), (string)record.Element(OdmChecks.Odm + "UserRef")!.Attribute("UserOID")!);
        Assert.Equal(location, (string)record.Element(OdmChecks.Odm + "LocationRef")!.Attribute("LocationOID")!);
        Assert.Equal(expected.At, XmlConvert.ToDateTimeOffset(record.Element(OdmChecks.Odm + "DateTimeStamp")!.Value));
        Assert.Equal(expected.Sequence.ToString(CultureInfo.InvariantCulture), record.Element(OdmChecks.Odm + "SourceID")!.Value);
        Assert.Equal(expected.Reason.Length > 0 ? expected.Reason : null, record.Element(OdmChecks.Odm + "ReasonForChange")?.Value);
    }
}

/// <summary>
/// The writer on data entered through the real operations (<see cref="ExportTrialFixture"/>: both sites, every form,
/// a signature, adverse events, kits and diary) and on the demo trial the app seeds, read by the real reader.
/// </summary>
public class OdmExportAppTests(ExportTrialFixture fixture) : IClassFixture<ExportTrialFixture>
{
    [Fact]
    public async Task A_blinded_export_with_audit_and_signatures_is_valid_gives_every_value_back_and_names_no_arm()
    {
        var snapshot = await fixture.ReadSnapshotAsync(new ExportScope(Audit: true, Signatures: true));
        Assert.NotEmpty(snapshot.Audit);
        Assert.NotEmpty(snapshot.Signatures);
        var xml = OdmExport.Write(snapshot);
        OdmChecks.AssertValid(xml);
        var doc = OdmChecks.Parse(xml);
        OdmChecks.AssertConsistent(doc);
        OdmChecks.AssertValuesRoundTrip(snapshot, doc);
        Assert.Contains(snapshot.Forms, f => f.Values.Values.Contains(ExportTrialFixture.FormulaText));
        Assert.Contains(snapshot.Forms, f => f.Values.Values.Contains(ExportTrialFixture.UnicodeText));

        var text = Encoding.UTF8.GetString(xml);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.NotEmpty(doc.Descendants(OdmChecks.Odm + "AuditRecord"));
        var standing = snapshot.Signatures.DistinctBy(s => (s.ParticipantId, s.Subject, s.VisitCode, s.AdverseEventNumber)).Count();
        Assert.Equal(standing, doc.Descendants(OdmChecks.Odm + "Signature").Count());
        Assert.Equal(snapshot.Participants.Count, doc.Descendants(OdmChecks.Odm + "SubjectData").Select(s => (string)s.Attribute("SubjectKey")!).Distinct().Count());
        Assert.Equal(snapshot.AdverseEvents.Count, doc.Descendants(OdmChecks.Odm + "ItemGroupData").Count(g => (string)g.Attribute("ItemGroupOID")! == OdmExport.SyntheticGroupOid("AE")));
    }

    [Fact]
    public async Task An_unblinded_export_is_valid_and_gives_each_randomized_participant_their_arm()
    {
        var snapshot = await fixture.ReadSnapshotAsync(new ExportScope(Unblinded: true));
        Assert.Equal(fixture.Randomized.Count, snapshot.Arms!.Count);
        var xml = OdmExport.Write(snapshot);
        OdmChecks.AssertValid(xml);
        var doc = OdmChecks.Parse(xml);
        OdmChecks.AssertConsistent(doc);
        foreach (var participant in snapshot.Participants)
        {
            var items = OdmChecks.SubjectItems(doc, participant.Number, OdmExport.RegistrationEvent);
            var arm = items.GetValueOrDefault(OdmExport.SyntheticItemOid("RAND", "ARM"));
            Assert.Equal(snapshot.Arms.GetValueOrDefault(participant.Id)?.Code, arm);
            if (arm is not null)
            {
                Assert.Contains(arm, new[] { RandomizationTrial.ActiveCode, RandomizationTrial.ControlCode });
            }
        }
    }

    [Fact]
    public async Task The_seeded_demo_trial_exports_as_valid_ODM()
    {
        var demoId = await fixture.App.WithDbAsync(db => db.Trials.Where(t => t.Code == "PSI-MDD-01").Select(t => t.Id).SingleAsync());
        var snapshot = await fixture.App.AsUserAsync("datamanager", s => s.GetRequiredService<ExportReader>().ReadAsync(demoId, new ExportScope(Audit: true, Signatures: true), "Drew Data"));
        var xml = OdmExport.Write(snapshot);
        OdmChecks.AssertValid(xml);
        var doc = OdmChecks.Parse(xml);
        OdmChecks.AssertConsistent(doc);
        Assert.Equal(snapshot.Current.Protocol.Forms.Count, doc.Descendants(OdmChecks.Odm + "FormDef").Count(f => !((string)f.Attribute("OID")!).StartsWith("F.TM.", StringComparison.Ordinal)));
        Assert.Equal(snapshot.Sites.Count, doc.Descendants(OdmChecks.Odm + "Location").Count());
    }
}

/// <summary>Reading an ODM file back and checking what the schema cannot: that it holds together and gives the values back.</summary>
internal static class OdmChecks
{
    public static readonly XNamespace Odm = OdmExport.Namespace;

    public static XDocument Parse(byte[] xml)
    {
        using var stream = new MemoryStream(xml);
        return XDocument.Load(stream);
    }

    public static void AssertValid(byte[] xml)
    {
        var errors = OdmSchema.Validate(xml);
        Assert.True(errors.Count == 0, $"{errors.Count} schema problem(s):\n{string.Join("\n", errors.Take(50))}");
    }

    public static XElement Def(XElement mdv, string kind, string oid) => mdv.Elements(Odm + kind).Single(d => (string)d.Attribute("OID")! == oid);

    public static Dictionary<string, string> Items(XElement group) =>
        group.Elements(Odm + "ItemData").ToDictionary(i => (string)i.Attribute("ItemOID")!, i => (string)i.Attribute("Value")!);

    /// <summary>The items of every item group under one study event of a participant (in whichever metadata version they sit).</summary>
    public static Dictionary<string, string> SubjectItems(XDocument doc, string subjectKey, string studyEventOid) =>
        doc.Descendants(Odm + "SubjectData").Where(s => (string)s.Attribute("SubjectKey")! == subjectKey)
            .Elements(Odm + "StudyEventData").Where(e => (string)e.Attribute("StudyEventOID")! == studyEventOid)
            .Descendants(Odm + "ItemData")
            .ToDictionary(i => (string)i.Attribute("ItemOID")!, i => (string)i.Attribute("Value")!);

    /// <summary>The participant's SubjectData under the protocol version they were registered with (the one with their own records).</summary>
    public static XElement HomeSubject(XDocument doc, ExportSnapshot snapshot, ExportParticipant participant) =>
        doc.Descendants(Odm + "ClinicalData").Single(c => (string)c.Attribute("MetaDataVersionOID")! == OdmExport.MetaDataVersionOid(participant.ProtocolSequence))
            .Elements(Odm + "SubjectData").Single(s => (string)s.Attribute("SubjectKey")! == participant.Number);

    public static XElement FormData(XDocument doc, ExportForm form) =>
        doc.Descendants(Odm + "ClinicalData").Single(c => (string)c.Attribute("MetaDataVersionOID")! == OdmExport.MetaDataVersionOid(form.ProtocolSequence))
            .Elements(Odm + "SubjectData").Single(s => (string)s.Attribute("SubjectKey")! == form.Participant)
            .Elements(Odm + "StudyEventData").Single(e => (string)e.Attribute("StudyEventOID")! == OdmExport.StudyEventOid(form.VisitCode))
            .Elements(Odm + "FormData").Single(f => (string)f.Attribute("FormOID")! == OdmExport.FormOid(form.FormCode));

    /// <summary>Every stored value and score is an ItemData of its form, under the metadata version it was collected with, and nothing else is.</summary>
    public static void AssertValuesRoundTrip(ExportSnapshot snapshot, XDocument doc)
    {
        var expected = snapshot.Forms
            .SelectMany(f => f.Values.Select(v => (Key: FormKey(OdmExport.MetaDataVersionOid(f.ProtocolSequence), f.Participant, OdmExport.StudyEventOid(f.VisitCode), OdmExport.FormOid(f.FormCode), OdmExport.ItemOid(f.FormCode, v.Key)), v.Value))
                .Concat(f.Scores.Select(s => (Key: FormKey(OdmExport.MetaDataVersionOid(f.ProtocolSequence), f.Participant, OdmExport.StudyEventOid(f.VisitCode), OdmExport.FormOid(f.FormCode), OdmExport.ScoreOid(f.FormCode, s.Key)), Value: s.Value.ToString(CultureInfo.InvariantCulture)))))
            .OrderBy(x => x.Key, StringComparer.Ordinal)
            .ToList();
        var actual = (
                from clinical in doc.Descendants(Odm + "ClinicalData")
                from subject in clinical.Elements(Odm + "SubjectData")
                from visit in subject.Elements(Odm + "StudyEventData")
                from form in visit.Elements(Odm + "FormData")
                where !((string)form.Attribute("FormOID")!).StartsWith("F.TM.", StringComparison.Ordinal)
                from item in form.Descendants(Odm + "ItemData")
                select (
                    Key: FormKey((string)clinical.Attribute("MetaDataVersionOID")!, (string)subject.Attribute("SubjectKey")!, (string)visit.Attribute("StudyEventOID")!, (string)form.Attribute("FormOID")!, (string)item.Attribute("ItemOID")!),
                    Value: (string)item.Attribute("Value")!))
            .OrderBy(x => x.Key, StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    private static string FormKey(string mdv, string subject, string visit, string form, string item) => string.Join(" | ", mdv, subject, visit, form, item);

    /// <summary>
    /// What the schema leaves to the reader: every OID referred to is defined where it must be, keys are unique, data
    /// sit only where their definitions put them, and each value fits its item's data type and code list.
    /// </summary>
    public static void AssertConsistent(XDocument doc)
    {
        var problems = new List<string>();
        var study = doc.Root!.Element(Odm + "Study")!;
        var studyOid = (string)study.Attribute("OID")!;
        var units = study.Descendants(Odm + "MeasurementUnit").Select(u => (string)u.Attribute("OID")!).ToHashSet();
        var mdvs = study.Elements(Odm + "MetaDataVersion").ToDictionary(m => (string)m.Attribute("OID")!);
        var admin = doc.Root.Element(Odm + "AdminData")!;
        var users = admin.Elements(Odm + "User").Select(u => (string)u.Attribute("OID")!).ToHashSet();
        var locations = admin.Elements(Odm + "Location").Select(u => (string)u.Attribute("OID")!).ToHashSet();
        var signatureDefs = admin.Elements(Odm + "SignatureDef").Select(u => (string)u.Attribute("OID")!).ToHashSet();

        void Need(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }

        Need((string?)admin.Attribute("StudyOID") == studyOid, "AdminData names another study");
        foreach (var reference in admin.Descendants(Odm + "MetaDataVersionRef"))
        {
            Need(mdvs.ContainsKey((string)reference.Attribute("MetaDataVersionOID")!), $"Location refers to an undefined metadata version {(string)reference.Attribute("MetaDataVersionOID")!}");
        }

        foreach (var (oid, mdv) in mdvs)
        {
            Dictionary<string, XElement> Defs(string kind) => mdv.Elements(Odm + kind).ToDictionary(d => (string)d.Attribute("OID")!);
            var events = Defs("StudyEventDef");
            var forms = Defs("FormDef");
            var groups = Defs("ItemGroupDef");
            var items = Defs("ItemDef");
            var codeLists = Defs("CodeList");
            var methods = Defs("MethodDef");
            foreach (var r in mdv.Element(Odm + "Protocol")!.Elements(Odm + "StudyEventRef"))
            {
                Need(events.ContainsKey((string)r.Attribute("StudyEventOID")!), $"{oid}: StudyEventRef {(string)r.Attribute("StudyEventOID")!}");
            }

            Need(events.Keys.All(e => mdv.Element(Odm + "Protocol")!.Elements(Odm + "StudyEventRef").Any(r => (string)r.Attribute("StudyEventOID")! == e)), $"{oid}: a study event is not in the protocol");
            foreach (var r in events.Values.SelectMany(e => e.Elements(Odm + "FormRef")))
            {
                Need(forms.ContainsKey((string)r.Attribute("FormOID")!), $"{oid}: FormRef {(string)r.Attribute("FormOID")!}");
            }

            foreach (var r in forms.Values.SelectMany(e => e.Elements(Odm + "ItemGroupRef")))
            {
                Need(groups.ContainsKey((string)r.Attribute("ItemGroupOID")!), $"{oid}: ItemGroupRef {(string)r.Attribute("ItemGroupOID")!}");
            }

            foreach (var r in groups.Values.SelectMany(e => e.Elements(Odm + "ItemRef")))
            {
                Need(items.ContainsKey((string)r.Attribute("ItemOID")!), $"{oid}: ItemRef {(string)r.Attribute("ItemOID")!}");
                Need(r.Attribute("MethodOID") is not { } m || methods.ContainsKey(m.Value), $"{oid}: MethodOID {(string?)r.Attribute("MethodOID")}");
            }

            foreach (var item in items.Values)
            {
                foreach (var u in item.Descendants(Odm + "MeasurementUnitRef"))
                {
                    Need(units.Contains((string)u.Attribute("MeasurementUnitOID")!), $"{oid}: unit {(string)u.Attribute("MeasurementUnitOID")!}");
                }

                if (item.Element(Odm + "CodeListRef") is { } listRef)
                {
                    var list = codeLists.GetValueOrDefault((string)listRef.Attribute("CodeListOID")!);
                    Need(list is not null, $"{oid}: code list {(string)listRef.Attribute("CodeListOID")!}");
                    Need(list is null || (string)list.Attribute("DataType")! == (string)item.Attribute("DataType")!, $"{oid}: {(string)item.Attribute("OID")!} and its code list differ in data type");
                }
            }
        }

        foreach (var clinical in doc.Root.Elements(Odm + "ClinicalData"))
        {
            Need((string)clinical.Attribute("StudyOID")! == studyOid, "ClinicalData names another study");
            if (!mdvs.TryGetValue((string)clinical.Attribute("MetaDataVersionOID")!, out var mdv))
            {
                problems.Add($"ClinicalData of an undefined metadata version {(string)clinical.Attribute("MetaDataVersionOID")!}");
                continue;
            }

            var mdvOid = (string)mdv.Attribute("OID")!;
            var events = mdv.Elements(Odm + "StudyEventDef").ToDictionary(d => (string)d.Attribute("OID")!);
            var forms = mdv.Elements(Odm + "FormDef").ToDictionary(d => (string)d.Attribute("OID")!);
            var groups = mdv.Elements(Odm + "ItemGroupDef").ToDictionary(d => (string)d.Attribute("OID")!);
            var items = mdv.Elements(Odm + "ItemDef").ToDictionary(d => (string)d.Attribute("OID")!);
            var codeLists = mdv.Elements(Odm + "CodeList").ToDictionary(d => (string)d.Attribute("OID")!, d => d.Elements(Odm + "CodeListItem").Select(i => (string)i.Attribute("CodedValue")!).ToHashSet());
            var subjects = clinical.Elements(Odm + "SubjectData").Select(s => (string)s.Attribute("SubjectKey")!).ToList();
            Need(subjects.Count == subjects.Distinct().Count(), $"{mdvOid}: a subject key repeats");
            foreach (var subject in clinical.Elements(Odm + "SubjectData"))
            {
                var where = $"{mdvOid} {(string)subject.Attribute("SubjectKey")!}";
                Need(subject.Element(Odm + "SiteRef") is { } site && locations.Contains((string)site.Attribute("LocationOID")!), $"{where}: site");
                var seen = subject.Elements(Odm + "StudyEventData").Select(e => (string)e.Attribute("StudyEventOID")!).ToList();
                Need(seen.Count == seen.Distinct().Count(), $"{where}: a non-repeating study event repeats");
                foreach (var visit in subject.Elements(Odm + "StudyEventData"))
                {
                    var eventOid = (string)visit.Attribute("StudyEventOID")!;
                    if (!events.TryGetValue(eventOid, out var eventDef))
                    {
                        problems.Add($"{where}: undefined study event {eventOid}");
                        continue;
                    }

                    var formOids = visit.Elements(Odm + "FormData").Select(f => (string)f.Attribute("FormOID")!).ToList();
                    Need(formOids.Count == formOids.Distinct().Count(), $"{where} {eventOid}: a form repeats");
                    foreach (var form in visit.Elements(Odm + "FormData"))
                    {
                        var formOid = (string)form.Attribute("FormOID")!;
                        Need(eventDef.Elements(Odm + "FormRef").Any(r => (string)r.Attribute("FormOID")! == formOid), $"{where} {eventOid}: form {formOid} is not part of the event");
                        foreach (var group in form.Elements(Odm + "ItemGroupData"))
                        {
                            var groupOid = (string)group.Attribute("ItemGroupOID")!;
                            Need(forms.TryGetValue(formOid, out var formDef) && formDef.Elements(Odm + "ItemGroupRef").Any(r => (string)r.Attribute("ItemGroupOID")! == groupOid), $"{where} {formOid}: group {groupOid} is not part of the form");
                            var groupDef = groups.GetValueOrDefault(groupOid);
                            var repeating = (string?)groupDef?.Attribute("Repeating") == "Yes";
                            Need(repeating == (group.Attribute("ItemGroupRepeatKey") is not null), $"{where} {groupOid}: a repeat key must be there exactly when the group repeats");
                            foreach (var item in group.Elements(Odm + "ItemData"))
                            {
                                var itemOid = (string)item.Attribute("ItemOID")!;
                                Need(groupDef?.Elements(Odm + "ItemRef").Any(r => (string)r.Attribute("ItemOID")! == itemOid) == true, $"{where} {groupOid}: item {itemOid} is not part of the group");
                                if (items.TryGetValue(itemOid, out var itemDef))
                                {
                                    var value = (string)item.Attribute("Value")!;
                                    var trouble = ValueProblem(itemDef, value, codeLists);
                                    Need(trouble is null, $"{where} {itemOid} = '{value}': {trouble}");
                                }
                            }
                        }

                        var keys = form.Elements(Odm + "ItemGroupData").Select(g => ((string)g.Attribute("ItemGroupOID")!, (string?)g.Attribute("ItemGroupRepeatKey"))).ToList();
                        Need(keys.Count == keys.Distinct().Count(), $"{where} {formOid}: an item group repeats with the same key");
                    }
                }
            }

            foreach (var flag in clinical.Descendants(Odm + "FlagValue"))
            {
                Need(codeLists.TryGetValue((string)flag.Attribute("CodeListOID")!, out var allowed) && allowed.Contains(flag.Value), $"{mdvOid}: flag {flag.Value}");
            }
        }

        foreach (var r in doc.Descendants(Odm + "UserRef"))
        {
            Need(users.Contains((string)r.Attribute("UserOID")!), $"undefined user {(string)r.Attribute("UserOID")!}");
        }

        foreach (var r in doc.Descendants(Odm + "LocationRef"))
        {
            Need(locations.Contains((string)r.Attribute("LocationOID")!), $"undefined location {(string)r.Attribute("LocationOID")!}");
        }

        foreach (var r in doc.Descendants(Odm + "SignatureRef"))
        {
            Need(signatureDefs.Contains((string)r.Attribute("SignatureOID")!), $"undefined signature meaning {(string)r.Attribute("SignatureOID")!}");
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(50)));
    }

    private static string? ValueProblem(XElement itemDef, string value, Dictionary<string, HashSet<string>> codeLists)
    {
        var typeOk = (string)itemDef.Attribute("DataType")! switch
        {
            "integer" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            "float" => decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _),
            "date" => DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            "datetime" => DateTimeOffset.TryParseExact(value, "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
            _ => true,
        };
        if (!typeOk)
        {
            return $"not a {(string)itemDef.Attribute("DataType")!}";
        }

        if (itemDef.Element(Odm + "CodeListRef") is { } listRef && codeLists.TryGetValue((string)listRef.Attribute("CodeListOID")!, out var codes))
        {
            // A multiple choice holds several codes joined by commas.
            if (!codes.Contains(value) && !value.Split(',').All(codes.Contains))
            {
                return "not in its code list";
            }
        }

        if (itemDef.Attribute("Length") is { } length && value.EnumerateRunes().Count() > int.Parse(length.Value, CultureInfo.InvariantCulture))
        {
            return "longer than its item's length";
        }

        return null;
    }
}

/// <summary>
/// Snapshots built in memory from a shipped protocol, deterministic to the byte, with data of every kind the writer
/// handles. Arms get distinctive codes and labels (unless asked not to) so that a leak check cannot be fooled.
/// </summary>
internal static class OdmSample
{
    public static readonly string[] Files = ["psilocybin-mdd.yaml", "lsd-gad.yaml"];

    public const string ActiveCode = "QZACTIVE";
    public const string ControlCode = "QZCONTROL";
    public const string ActiveLabel = "Quillwort active tablet";
    public const string ControlLabel = "Marram control tablet";

    public static IReadOnlyList<string> ArmSecrets => [ActiveCode, ControlCode, ActiveLabel, ControlLabel];

    /// <summary>Markup characters, quotes, non-Latin letters, an emoji, a line break and a tab: all must come back as stored.</summary>
    public const string Tricky = "Nota <b>bene</b> & \"quoted\" 'single' > Überwiegend café «1/6», 東京 😀\r\nsecond line\tafter a tab";

    /// <summary>A field protocol version 2 adds to VITALS.</summary>
    public const string AddedField = "v2_comment";

    public const string CoordinatorFormerName = "Casey Formerly-Coordinator";

    public static readonly (string Id, string Name) Coordinator = ("3f0c9a55-1d7e-4b8a-9c61-coordinator", "Casey Coordinator");

    public static readonly (string Id, string Name) Investigator = ("8a1d2f40-5b6c-4d7e-8f90-investigator", "Ines Investigator");

    public static readonly DateTimeOffset ExportedAt = new(2026, 5, 4, 9, 30, 15, 123, TimeSpan.Zero);

    private static readonly DateTimeOffset Day0 = new(2026, 2, 2, 8, 0, 0, TimeSpan.Zero);

    public static Protocol Shipped(string file)
    {
        var loaded = ProtocolLoader.Load(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", file)), file);
        Assert.True(loaded.Succeeded, string.Join("; ", loaded.Errors));
        return loaded.Protocol!;
    }

    public static ExportSnapshot Snapshot(string file, bool unblinded = false, bool audit = false, bool signatures = false, bool secretArms = true)
    {
        var v1 = Shipped(file);
        if (secretArms)
        {
            v1 = v1 with { Arms = [new Arm(ActiveCode, ActiveLabel, 1), new Arm(ControlCode, ControlLabel, 1)] };
        }

        var added = new FieldDefinition(AddedField, "Comment (added in version 2)", FieldType.Text, null, false, null, null, 200, null, []);
        var v2 = v1 with { Version = "2.0", Forms = [.. v1.Forms.Select(f => f.Code == "VITALS" ? f with { Fields = [.. f.Fields, added] } : f)] };
        var versions = new List<ExportProtocolVersion> { new(Id(1), 1, v1.Version, v1.ContentHash, ExportedAt.AddDays(-120), v1), new(Id(2), 2, v2.Version, v2.ContentHash, ExportedAt.AddDays(-30), v2) };
        Protocol ProtocolOf(int sequence) => versions[sequence - 1].Protocol;

        var next = 100;
        var sites = v1.Sites.Select(s => new ExportSite(Id(next++), s.Code, s.Name, s.Country)).ToList();
        var participants = new List<ExportParticipant>();
        var forms = new List<ExportForm>();
        var visits = new List<ExportVisit>();
        var events = new List<ExportAdverseEvent>();
        var diary = new List<ExportDiaryDay>();
        var kits = new List<ExportKitUse>();
        var signed = new List<ExportSignature>();
        var trail = new List<ExportAuditRecord>();
        var arms = new Dictionary<Guid, ExportArm>();
        var clock = Day0;
        long sequence = 1;

        void Audit(Guid participant, string userId, string userName, string action, string type, string id, string reason = "")
        {
            clock = clock.AddMinutes(7);
            trail.Add(new ExportAuditRecord(sequence++, participant, clock, userId, userName, action, type, id, reason, "192.0.2.10"));
        }

        for (var s = 0; s < sites.Count; s++)
        {
            var site = sites[s];
            // The first site has a participant who never gets past registration; everyone else is randomized.
            for (var j = 0; j < (s == 0 ? 4 : 3); j++)
            {
                var id = Id(next++);
                var number = $"{site.Code}-{j + 1:0000}";
                var registeredUnder = j == 2 ? 2 : 1;
                var randomized = j < 3;
                var randomizedAt = Day0.AddDays(s + j).AddHours(3);
                var withdrawn = j == 1;
                participants.Add(new ExportParticipant(
                    id, number, site.Code, registeredUnder,
                    withdrawn ? ParticipantStatus.Withdrawn : randomized ? ParticipantStatus.Randomized : ParticipantStatus.Registered,
                    1975 + j, j % 2 == 0 ? "female" : "male", DateOnly.FromDateTime(Day0.UtcDateTime).AddDays(-10),
                    randomized ? $"{(v1.Randomization.Factors is [var factor, ..] ? factor.Code : "site")}=level{j}" : "",
                    randomized ? $"R-{s}{j:000}" : null, randomized ? randomizedAt : null, randomized ? DateOnly.FromDateTime(randomizedAt.UtcDateTime) : null,
                    withdrawn ? DateOnly.FromDateTime(Day0.UtcDateTime).AddDays(20) : null,
                    withdrawn ? DateOnly.FromDateTime(Day0.UtcDateTime).AddDays(21) : null,
                    withdrawn ? Tricky : null));
                var userName = sequence < 10 ? CoordinatorFormerName : Coordinator.Name;
                Audit(id, Coordinator.Id, userName, "Create", "Participant", id.ToString());
                if (randomized)
                {
                    arms[id] = (s + j) % 2 == 0 ? new ExportArm(ActiveCode, ActiveLabel) : new ExportArm(ControlCode, ControlLabel);
                }

                var protocol = ProtocolOf(registeredUnder);
                var visitCount = randomized ? 3 : 1;
                for (var v = 0; v < visitCount; v++)
                {
                    var visit = protocol.Visits[v];
                    // The first participant's third visit was collected after the amendment, under version 2.
                    var collectedUnder = s == 0 && j == 0 && v == 2 ? 2 : registeredUnder;
                    var definitionSource = ProtocolOf(collectedUnder);
                    var doneOn = DateOnly.FromDateTime(Day0.UtcDateTime).AddDays(s + j + Math.Max(visit.Day, -7));
                    visits.Add(new ExportVisit(id, number, site.Code, visit.Code, doneOn, false, randomized ? visit.Day : null, randomized ? true : null));
                    Audit(id, Coordinator.Id, Coordinator.Name, "Create", "VisitRecord", $"{id}/{visit.Code}");
                    for (var f = 0; f < visit.Forms.Count; f++)
                    {
                        var definition = definitionSource.FindForm(visit.Forms[f])!;
                        var sparse = j == 1;
                        var empty = sparse && v == 2 && f == 0;
                        var values = empty ? new Dictionary<string, string>() : Values(definition, s + j + v + f, sparse);
                        var scores = definition.Validate(values.ToDictionary(x => x.Key, x => (string?)x.Value)).Scores.ToDictionary(x => x.Key, x => x.Value.Total);
                        var formId = Id(next++);
                        var status = empty ? FormStatus.Draft : FormStatus.Complete;
                        clock = clock.AddMinutes(3);
                        forms.Add(new ExportForm(
                            formId, id, number, site.Code, collectedUnder, visit.Code, definition.Code, status, clock, Coordinator.Name, status == FormStatus.Complete ? clock : null, values, scores));
                        Audit(id, Coordinator.Id, Coordinator.Name, "Create", "FormEntry", formId.ToString());
                        if (values.Count > 0 && (f + v) % 2 == 0)
                        {
                            Audit(id, Investigator.Id, Investigator.Name, "Update", "FormValue", $"{formId}/{values.Keys.First()}", "Transcription error: <corrected> & re-checked");
                        }
                    }
                }

                if (randomized)
                {
                    Audit(id, Coordinator.Id, Coordinator.Name, "Update", "Participant", id.ToString());
                    foreach (var day in new[] { 1, 4, 7 })
                    {
                        diary.Add(new ExportDiaryDay(id, number, site.Code, day, day != 4 || j != 0));
                        Audit(id, Coordinator.Id, Coordinator.Name, "Create", "DiaryEntry", $"{id}/{day}");
                    }

                    var returned = j == 0;
                    kits.Add(new ExportKitUse(
                        id, number, site.Code, $"KX{s}{j}7Q", protocol.Visits[1].Code, DispensingKind.Randomization, DateOnly.FromDateTime(randomizedAt.UtcDateTime),
                        v1.Kits.UnitsPerKit, returned ? DateOnly.FromDateTime(randomizedAt.UtcDateTime).AddDays(21) : null, returned ? 2 : null, returned ? 7 : null, returned ? 6 : null, returned ? 85.7m : null));
                }

                if (s == 0 && j == 0)
                {
                    // A visit that did not happen: recorded as missed, with no forms.
                    var missed = protocol.Visits[3];
                    visits.Add(new ExportVisit(id, number, site.Code, missed.Code, null, true, null, null));
                    Audit(id, Coordinator.Id, Coordinator.Name, "Create", "VisitRecord", $"{id}/{missed.Code}");
                }

                if (j == 0)
                {
                    var criteria = v1.Safety.SeriousnessCriteria.Select(c => c.Code).Take(2).ToList();
                    var serious = new ExportAdverseEvent(
                        Id(next++), id, number, site.Code, $"AE-{s}001", 2, "Severe headache", "Headache", "10019211", DateOnly.FromDateTime(Day0.UtcDateTime).AddDays(5), DateOnly.FromDateTime(Day0.UtcDateTime).AddDays(8),
                        3, true, string.Join(",", criteria), Causality.PossiblyRelated, ActionTaken.DrugInterrupted, EventOutcome.Recovered, v1.Safety.SpecialInterestEvents is [var special, ..] ? special.Code : null,
                        Day0.AddDays(5).AddHours(2), Day0.AddDays(5).AddHours(3));
                    var mild = new ExportAdverseEvent(
                        Id(next++), id, number, site.Code, $"AE-{s}002", 1, Tricky, null, null, DateOnly.FromDateTime(Day0.UtcDateTime).AddDays(9), null,
                        1, false, "", Causality.NotRelated, ActionTaken.DoseNotChanged, EventOutcome.Recovering, null, Day0.AddDays(9).AddHours(1), Day0.AddDays(9).AddHours(1).AddMinutes(30));
                    events.AddRange([serious, mild]);
                    Audit(id, Coordinator.Id, Coordinator.Name, "Create", "AdverseEvent", serious.Id.ToString());
                    Audit(id, Investigator.Id, Investigator.Name, "Update", "AdverseEvent", serious.Id.ToString(), "Follow-up report");
                    Audit(id, Coordinator.Id, Coordinator.Name, "Create", "AdverseEvent", mild.Id.ToString());

                    var visit0 = protocol.Visits[0].Code;
                    signed.Add(Signature(Id(next++), id, SignatureSubject.Visit, visit0, null, "Authored", Day0.AddDays(1), intact: true));
                    signed.Add(Signature(Id(next++), id, SignatureSubject.Visit, visit0, null, "Reviewed and approved", Day0.AddDays(2), intact: true));
                    signed.Add(Signature(Id(next++), id, SignatureSubject.Visit, protocol.Visits[1].Code, null, "Verified against source documents", Day0.AddDays(3), intact: false));
                    signed.Add(Signature(Id(next++), id, SignatureSubject.AdverseEvent, "", serious.Number, "Reviewed and approved", Day0.AddDays(10), intact: true));
                    signed.Add(Signature(Id(next++), id, SignatureSubject.AdverseEvent, "", mild.Number, "Authored", Day0.AddDays(10).AddHours(1), intact: false));
                    signed.Add(Signature(Id(next++), id, SignatureSubject.Casebook, "", null, "Reviewed and approved", Day0.AddDays(30), intact: s != 0));
                }
            }
        }

        return new ExportSnapshot(
            new ExportTrial(Id(7), v1.Code, v1.Title, v1.Sponsor, v1.RegistryId, v1.Phase, ExportedAt, "Drew Data", TrialLockLevel.Open),
            versions,
            sites,
            [.. participants.OrderBy(p => p.Number, StringComparer.Ordinal)],
            visits,
            forms,
            events,
            diary,
            kits,
            signatures ? signed : [],
            audit ? trail : [],
            unblinded ? arms : null);
    }

    private static ExportSignature Signature(Guid id, Guid participant, SignatureSubject subject, string visit, string? eventNumber, string meaning, DateTimeOffset at, bool intact) =>
        new(id, participant, subject, visit, eventNumber, meaning, Investigator.Id, Investigator.Name, at, new string('a', 63) + (intact ? "1" : "2"), intact);

    /// <summary>A valid value for every field (only the required ones when <paramref name="sparse"/>), varied by <paramref name="seed"/>.</summary>
    private static Dictionary<string, string> Values(FormDefinition form, int seed, bool sparse)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < form.Fields.Count; i++)
        {
            var field = form.Fields[i];
            if (sparse && !field.Required)
            {
                continue;
            }

            var k = seed + i;
            var low = field.Minimum ?? 0;
            var high = field.Maximum ?? low + 20;
            values[field.Code] = field.Type switch
            {
                FieldType.Integer => ((long)low + (k % (long)(high - low + 1))).ToString(CultureInfo.InvariantCulture),
                FieldType.Decimal => (low + (k % (int)Math.Max(1, high - low)) + 0.5m).ToString("F" + Math.Max(1, field.DecimalPlaces ?? 2).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                FieldType.Text => string.Concat(Tricky.EnumerateRunes().Take(field.EffectiveMaxLength)),
                FieldType.Date => new DateOnly(2026, 3, 1).AddDays(k).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                FieldType.SingleChoice => field.Choices[k % field.Choices.Count].Code,
                FieldType.MultipleChoice => string.Join(",", field.Choices.Where((_, n) => n % 2 == k % 2).Select(c => c.Code)),
                FieldType.YesNo => YesNo.Format(k % 2 == 0),
                _ => throw new InvalidOperationException(field.Type.ToString()),
            };
        }

        return values;
    }

    private static Guid Id(int n) => new($"00000000-0000-4000-8000-{n:D12}");
}
