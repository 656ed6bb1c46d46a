using AngleSharp.Html.Parser;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>The hostile-input run's own detectors and form reader, on planted pages: they must see what they look for.</summary>
public class HostileValuesTests
{
    [Fact]
    public void Reflected_script_is_seen_and_escaped_script_is_not()
    {
        Assert.True(HostileValues.Reflects($"<p>{HostileValues.ScriptMarker}</p>"));
        Assert.True(HostileValues.Reflects("<input value=\"\"><img src=x onerror=alert('tm-xss')>\">"));
        Assert.False(HostileValues.Reflects("<p>&lt;script&gt;alert(&#x27;tm-xss&#x27;)&lt;/script&gt;</p>"));
        Assert.False(HostileValues.Reflects("<input value=\"&quot;&gt;&lt;img src=x onerror=alert(&#x27;tm-xss&#x27;)&gt;\">"));
    }

    [Fact]
    public void Internal_details_are_seen_in_a_page_and_ordinary_text_is_not()
    {
        Assert.NotNull(HostileValues.InternalDetail("<pre>   at TrialManager.Web.Features.Audit.SearchAuditTrail.PageAsync(AuditFilter filter)</pre>"));
        Assert.NotNull(HostileValues.InternalDetail("Npgsql.PostgresException (0x80004005): 22021"));
        Assert.NotNull(HostileValues.InternalDetail("System.InvalidOperationException: Sequence contains no elements"));
        Assert.Null(HostileValues.InternalDetail("<link href=\"/TrialManager.Web.styles.css\"><p>Exceptional adverse event at the site</p>"));
        // Linear on the huge values pages echo back.
        Assert.Null(HostileValues.InternalDetail(new string('A', 100_000)));
    }

    [Fact]
    public void A_form_is_read_with_its_token_handler_and_fields_and_posted_as_a_user_would()
    {
        var html = """
            <form method="post" action="/things/1">
              <input type="hidden" name="__RequestVerificationToken" value="tok">
              <input type="hidden" name="_handler" value="edit-thing">
              <input name="Input.Name" value="Ann">
              <input type="checkbox" name="Input.Urgent" value="true">
              <input type="radio" name="Input.Kind" value="a"><input type="radio" name="Input.Kind" value="b" checked>
              <select name="Input.Site"><option value="x">X</option><option value="y" selected>Y</option></select>
              <textarea name="Input.Note">n</textarea>
              <button type="submit">Save</button>
            </form>
            <form method="get" action="/search"><input name="q"></form>
            """;
        var forms = PageForm.Read("/things/1", new HtmlParser().ParseDocument(html));

        Assert.Equal(2, forms.Count);
        var form = forms[0];
        Assert.Equal(("POST", "/things/1", "edit-thing", "tok"), (form.Method, form.Action, form.Handler, form.Token));
        Assert.Equal(["Input.Name", "Input.Urgent", "Input.Kind", "Input.Site", "Input.Note"], form.Fields.Select(f => f.Name));
        Assert.Equal(["a", "b"], form.Fields.Single(f => f.Name == "Input.Kind").Choices);
        Assert.Equal(
            "__RequestVerificationToken=tok&_handler=edit-thing&Input.Name=%3Cb%3E&Input.Kind=b&Input.Site=y&Input.Note=n",
            form.Body(new Dictionary<string, string> { ["Input.Name"] = "%3Cb%3E" }));
        Assert.Equal("__RequestVerificationToken=tok&_handler=edit-thing", form.Body(withFields: false));
        Assert.Equal(("GET", "/search", "q"), (forms[1].Method, forms[1].Action, forms[1].Fields.Single().Name));
    }
}
