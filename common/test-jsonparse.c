/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the JSON parser (common/jsonparse.c) and the YAML
 * subset parser (common/yamllite.c): OpenStack documents as the APIs
 * and users write them, every escape, exact integers, and every
 * refusal with its message.  Also the JSON writer (common/sbuf.c,
 * common/log.c): any bytes in, strict UTF-8 JSON out.
 */

#include <config.h>

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "jsonparse.h"
#include "unittest.h"

static struct jv *
J (const char *s)
{
  return jv_parse (s, strlen (s), "t.json");
}

static struct jv *
Y (const char *s)
{
  return yaml_lite_parse (s, strlen (s), "t.yaml");
}

/* Parsing fails with a message containing msg. */
static void
bad (bool yaml, const char *s, size_t len, const char *msg)
{
  struct jv *v = yaml ? yaml_lite_parse (s, len, "bad.yaml")
    : jv_parse (s, len, "bad.json");
  char what[200];

  snprintf (what, sizeof what, "%s refused: %.60s -> %s",
            yaml ? "YAML" : "JSON", s, msg);
  CHECK (v == NULL && last_error () && strstr (last_error (), msg), what);
  jv_free (v);
}
#define BADJ(s, msg) bad (false, s, sizeof s - 1, msg)
#define BADY(s, msg) bad (true, s, sizeof s - 1, msg)

/* A one-value JSON document. */
static void
jstring (const char *doc, const char *want, const char *what)
{
  struct jv *v = J (doc);
  CHECK (v && v->type == JV_STRING && streq (v->s, want), what);
  jv_free (v);
}

/* The only value of the YAML document "k: VALUE". */
static void
yaml_value (const char *doc, const char *want, const char *what)
{
  struct jv *v = Y (doc);
  CHECK (v && v->type == JV_OBJECT && streq (jv_str (v, "k"), want), what);
  jv_free (v);
}

static const char keystone_token[] =
  "{\"token\": {\n"
  "  \"methods\": [\"password\"],\n"
  "  \"user\": {\"domain\": {\"id\": \"default\", \"name\": \"Default\"},\n"
  "    \"id\": \"ee4dfb6e5540447cb3741905149d9b6e\", \"name\": \"alice\",\n"
  "    \"password_expires_at\": null},\n"
  "  \"audit_ids\": [\"3T2dc1CGQxyJsHdDu1xkcw\"],\n"
  "  \"expires_at\": \"2024-05-02T13:41:03.000000Z\",\n"
  "  \"issued_at\": \"2024-05-02T12:41:03.000000Z\",\n"
  "  \"project\": {\"domain\": {\"id\": \"default\", \"name\": \"Default\"},\n"
  "    \"id\": \"a6944d763bf64ee6a275f1263fae0352\", \"name\": \"demo\"},\n"
  "  \"is_domain\": false,\n"
  "  \"roles\": [{\"id\": \"51cc68287d524c759f47c811e6463340\", \"name\": \"member\"},\n"
  "            {\"id\": \"8f2b3bff4cb9414f8bcc43b8b6b9c1c8\", \"name\": \"reader\"}],\n"
  "  \"catalog\": [\n"
  "    {\"endpoints\": [\n"
  "       {\"id\": \"068d1b359ee84b438266cb736d81de97\", \"interface\": \"public\",\n"
  "        \"region_id\": \"RegionOne\", \"region\": \"RegionOne\",\n"
  "        \"url\": \"https://keystone.example.com:5000/v3/\"}],\n"
  "     \"id\": \"050726f278654128aba89757ae25910c\", \"type\": \"identity\",\n"
  "     \"name\": \"keystone\"},\n"
  "    {\"endpoints\": [\n"
  "       {\"id\": \"1a1f0c4b9b4f4b2c8d7f2a50a7d8a9b1\", \"interface\": \"public\",\n"
  "        \"region_id\": \"RegionOne\", \"region\": \"RegionOne\",\n"
  "        \"url\": \"https://image.example.com:9292\"},\n"
  "       {\"id\": \"2b2f0c4b9b4f4b2c8d7f2a50a7d8a9b2\", \"interface\": \"internal\",\n"
  "        \"region_id\": \"RegionOne\", \"region\": \"RegionOne\",\n"
  "        \"url\": \"http://10.0.0.11:9292\"},\n"
  "       {\"id\": \"3c3f0c4b9b4f4b2c8d7f2a50a7d8a9b3\", \"interface\": \"admin\",\n"
  "        \"region_id\": \"RegionOne\", \"region\": \"RegionOne\",\n"
  "        \"url\": \"http://10.0.0.11:9292\"},\n"
  "       {\"id\": \"4d4f0c4b9b4f4b2c8d7f2a50a7d8a9b4\", \"interface\": \"public\",\n"
  "        \"region_id\": \"RegionTwo\", \"region\": \"RegionTwo\",\n"
  "        \"url\": \"https://image.two.example.com:9292\"},\n"
  "       {\"id\": \"5e5f0c4b9b4f4b2c8d7f2a50a7d8a9b5\", \"interface\": \"internal\",\n"
  "        \"region_id\": \"RegionTwo\", \"region\": \"RegionTwo\",\n"
  "        \"url\": \"http://10.1.0.11:9292\"},\n"
  "       {\"id\": \"6f6f0c4b9b4f4b2c8d7f2a50a7d8a9b6\", \"interface\": \"admin\",\n"
  "        \"region_id\": \"RegionTwo\", \"region\": \"RegionTwo\",\n"
  "        \"url\": \"http://10.1.0.11:9292\"}],\n"
  "     \"id\": \"5a4e8a3b2c1d4e5f6a7b8c9d0e1f2a3b\", \"type\": \"image\",\n"
  "     \"name\": \"glance\"}]\n"
  "}}\n";

/* The URL of the 'iface' endpoint of service 'type' in 'region'. */
static const char *
catalog_url (const struct jv *tok, const char *type, const char *region,
             const char *iface)
{
  const struct jv *cat = jv_path (tok, "token.catalog");

  for (size_t i = 0; cat && cat->type == JV_ARRAY && i < cat->nr; i++) {
    const struct jv *eps = jv_get (&cat->items[i], "endpoints");
    if (!streq (jv_str (&cat->items[i], "type"), type) || eps == NULL)
      continue;
    for (size_t k = 0; eps->type == JV_ARRAY && k < eps->nr; k++)
      if (streq (jv_str (&eps->items[k], "region_id"), region) &&
          streq (jv_str (&eps->items[k], "interface"), iface))
        return jv_str (&eps->items[k], "url");
  }
  return NULL;
}

static void
test_openstack_json (void)
{
  struct jv *v = J (keystone_token);
  const struct jv *t;
  bool b = true;
  int64_t n = 0;

  CHECK (v && v->type == JV_OBJECT, "keystone token parsed");
  CHECK (streq (jv_str (jv_path (v, "token"), "expires_at"),
                "2024-05-02T13:41:03.000000Z"), "token.expires_at");
  CHECK (streq (jv_str (jv_path (v, "token.user"), "name"), "alice"), "user name");
  CHECK (streq (jv_str (jv_path (v, "token.user.domain"), "name"), "Default"),
         "user domain");
  t = jv_path (v, "token.user.password_expires_at");
  CHECK (t && t->type == JV_NULL, "null member");
  CHECK (streq (jv_str (jv_path (v, "token.project"), "id"),
                "a6944d763bf64ee6a275f1263fae0352"), "project id");
  CHECK (jv_bool (jv_path (v, "token"), "is_domain", &b) && !b, "is_domain false");
  CHECK (!jv_int (jv_path (v, "token"), "is_domain", &n), "a boolean is no integer");
  t = jv_path (v, "token.catalog");
  CHECK (t && t->type == JV_ARRAY && t->nr == 2, "two services");
  t = jv_path (v, "token.roles");
  CHECK (t && t->nr == 2 && streq (jv_str (&t->items[1], "name"), "reader"),
         "roles");
  CHECK (streq (catalog_url (v, "image", "RegionTwo", "internal"),
                "http://10.1.0.11:9292"), "image internal RegionTwo");
  CHECK (streq (catalog_url (v, "image", "RegionOne", "public"),
                "https://image.example.com:9292"), "image public RegionOne");
  CHECK (streq (catalog_url (v, "identity", "RegionOne", "public"),
                "https://keystone.example.com:5000/v3/"), "identity");
  CHECK (catalog_url (v, "image", "RegionThree", "public") == NULL, "no region");
  CHECK (jv_path (v, "token.nothing.here") == NULL, "missing path");
  CHECK (jv_path (v, "token.expires_at.x") == NULL, "path through a string");
  CHECK (jv_path (v, "") == v, "empty path");
  CHECK (jv_path (v, "token.") == NULL, "path with an empty last step");
  CHECK (jv_get (NULL, "x") == NULL && jv_str (NULL, "x") == NULL, "NULL object");
  CHECK (streq (jv_type_name (jv_path (v, "token.catalog")->type), "array") &&
         streq (jv_type_name (JV_NULL), "null"), "jv_type_name");
  CHECK (jv_str (jv_path (v, "token"), "catalog") == NULL, "jv_str of an array");
  jv_free (v);

  v = J ("{\"id\": \"1bea47ed-f6a9-463b-b423-14b9cca9ad27\",\n"
         " \"name\": \"web01-disk0\", \"status\": \"active\",\n"
         " \"container_format\": \"bare\", \"disk_format\": \"qcow2\",\n"
         " \"visibility\": \"private\", \"protected\": false,\n"
         " \"checksum\": \"64d7c1cd2b6f60c92c14662941cb7913\",\n"
         " \"os_hash_algo\": \"sha512\",\n"
         " \"os_hash_value\": \"aea8b35f2895dccd1d9c996ce39323c43aa79792cea10c9f4647994e30d084e2"
         "38ef05ef10d34eacbe9dabff71b2f53c374a037f6803bf0ff10aef365b21519d\",\n"
         " \"size\": 13287936, \"virtual_size\": null, \"min_disk\": 0,\n"
         " \"min_ram\": 0, \"owner\": \"a6944d763bf64ee6a275f1263fae0352\",\n"
         " \"tags\": [], \"created_at\": \"2024-05-02T12:50:11Z\",\n"
         " \"updated_at\": \"2024-05-02T12:50:14Z\",\n"
         " \"self\": \"/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27\",\n"
         " \"file\": \"/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27/file\",\n"
         " \"schema\": \"/v2/schemas/image\", \"stores\": \"file\",\n"
         " \"hw_disk_bus\": \"virtio\", \"hw_vif_model\": \"virtio\",\n"
         " \"hw_firmware_type\": \"uefi\", \"os_type\": \"linux\"}");
  CHECK (v && streq (jv_str (v, "status"), "active"), "glance status");
  CHECK (streq (jv_str (v, "checksum"), "64d7c1cd2b6f60c92c14662941cb7913"),
         "glance checksum");
  CHECK (streq (jv_str (v, "os_hash_algo"), "sha512") &&
         strlen (jv_str (v, "os_hash_value")) == 128, "glance multihash");
  CHECK (jv_int (v, "size", &n) && n == 13287936, "glance size");
  t = jv_get (v, "virtual_size");
  CHECK (t && t->type == JV_NULL && !jv_int (v, "virtual_size", &n),
         "virtual_size null");
  t = jv_get (v, "tags");
  CHECK (t && t->type == JV_ARRAY && t->nr == 0, "tags []");
  CHECK (streq (jv_str (v, "hw_firmware_type"), "uefi") &&
         streq (jv_str (v, "hw_disk_bus"), "virtio"), "properties at top level");
  CHECK (jv_bool (v, "protected", &b) && !b, "protected");
  jv_free (v);
  v = J ("{\"id\":\"x\",\"status\":\"queued\",\"size\":5368709120,"
         "\"virtual_size\":10737418240,\"tags\":[\"ferry\",\"converted\"]}");
  CHECK (v && jv_int (v, "virtual_size", &n) && n == INT64_C(10737418240),
         "virtual_size integer");
  CHECK (jv_int (v, "size", &n) && n == INT64_C(5368709120), "size > 4 GiB");
  CHECK (jv_get (v, "tags") && jv_get (v, "tags")->nr == 2 &&
         streq (jv_get (v, "tags")->items[1].s, "converted"), "tags");
  jv_free (v);
}

static void
test_json_numbers (void)
{
  struct jv *v;

  v = J ("9007199254740993");
  CHECK (v && v->type == JV_NUMBER && v->is_int &&
         v->i == INT64_C(9007199254740993), "2^53+1 exact");
  jv_free (v);
  v = J ("9223372036854775807");
  CHECK (v && v->is_int && v->i == INT64_MAX, "2^63-1");
  jv_free (v);
  v = J ("-9223372036854775808");
  CHECK (v && v->is_int && v->i == INT64_MIN, "-2^63");
  jv_free (v);
  v = J ("9223372036854775808");
  CHECK (v && v->type == JV_NUMBER && !v->is_int && v->n > 9.2e18, "2^63 not int");
  jv_free (v);
  v = J ("-9223372036854775809");
  CHECK (v && !v->is_int && v->n < -9.2e18, "-2^63-1 not int");
  jv_free (v);
  v = J ("123456789012345678901234567890");
  CHECK (v && !v->is_int && v->n > 1.2e29, "huge integer");
  jv_free (v);
  v = J ("[0, -0, 1.5, -2.5e3, 1E+2, 1e-2, 3.0, 42]");
  CHECK (v && v->nr == 8, "numbers parsed");
  if (v && v->nr == 8) {
    CHECK (v->items[0].is_int && v->items[0].i == 0, "0");
    CHECK (v->items[1].is_int && v->items[1].i == 0 && signbit (v->items[1].n),
           "-0");
    CHECK (!v->items[2].is_int && v->items[2].n == 1.5, "1.5");
    CHECK (v->items[3].n == -2500, "-2.5e3");
    CHECK (!v->items[4].is_int && v->items[4].n == 100, "1E+2 is not an integer");
    CHECK (v->items[5].n == 0.01, "1e-2");
    CHECK (!v->items[6].is_int && v->items[6].n == 3, "3.0");
    CHECK (v->items[7].is_int && v->items[7].i == 42 && v->items[7].n == 42, "42");
  }
  jv_free (v);
  v = J ("{\"a\": 1.5}");
  {
    int64_t n = 7;
    CHECK (v && !jv_int (v, "a", &n) && n == 7, "jv_int refuses 1.5");
  }
  jv_free (v);
  BADJ ("1e400", "number out of range");
  BADJ ("-1e400", "number out of range");
  v = J ("1e-400");
  CHECK (v && v->n == 0, "underflow to 0");
  jv_free (v);
}

static void
test_json_strings (void)
{
  struct jv *v;

  jstring ("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
               "\" \\ / \b \f \n \r \t", "simple escapes");
  jstring ("\"\\u0041\\u00e9\\u20AC\\u0001\"", "A\xc3\xa9\xe2\x82\xac\x01",
               "\\u escapes to UTF-8");
  jstring ("\"\\ud83d\\ude00 \\uD834\\uDD1E\"",
               "\xf0\x9f\x98\x80 \xf0\x9d\x84\x9e", "surrogate pairs");
  jstring ("\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"",
               "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", "raw UTF-8");
  jstring ("\"\"", "", "empty string");
  jstring ("\xef\xbb\xbf \"bom\" ", "bom", "byte order mark ignored");
  BADJ ("\"\\ud83d\"", "lone surrogate \\ud83d");
  BADJ ("\"\\ud83d\\u0041\"", "lone surrogate");
  BADJ ("\"\\ud83dx\"", "lone surrogate");
  BADJ ("\"\\ude00\"", "lone surrogate \\ude00");
  BADJ ("\"a\\u0000b\"", "\\u0000 in a string is not supported");
  BADJ ("\"\\u12\"", "invalid \\u escape");
  BADJ ("\"\\u12g4\"", "invalid \\u escape");
  BADJ ("\"\\x41\"", "invalid escape '\\x'");
  BADJ ("\"\\'\"", "invalid escape '\\''");
  BADJ ("\"\\\x01\"", "invalid escape in a string at line 1 column 2");
  BADJ ("\"a\nb\"", "control character 0x0a in a string");
  BADJ ("\"a\tb\"", "control character 0x09 in a string");
  BADJ ("\"a\x7f\"x", "after the document");
  BADJ ("\"abc", "unterminated string at line 1 column 1");
  BADJ ("\"abc\\", "unexpected end of input in a string");
  BADJ ("\"\xc3\x28\"", "invalid UTF-8 in a string");
  BADJ ("\"\xc0\xaf\"", "invalid UTF-8");
  BADJ ("\"\xed\xa0\x80\"", "invalid UTF-8");
  BADJ ("\"\xf4\x90\x80\x80\"", "invalid UTF-8");
  BADJ ("\"\xe2\x82\"", "invalid UTF-8");
  BADJ ("\"a\0b\"", "control character 0x00");
  v = J ("{\"\": \"empty key\", \"a\": 1, \"a\": 2}");
  CHECK (v && streq (jv_str (v, ""), "empty key"), "empty key");
  {
    int64_t n = 0;
    CHECK (v && v->nr == 3 && jv_int (v, "a", &n) && n == 2,
           "duplicate key: the last");
  }
  jv_free (v);
}

static void
test_json_refusals (void)
{
  struct jv *v;
  char deep[300];

  BADJ ("", "unexpected end of input at line 1 column 1");
  BADJ (" \n ", "unexpected end of input at line 2 column 2");
  BADJ ("{} x", "unexpected character 'x' after the document at line 1 column 4");
  BADJ ("[1] [2]", "after the document");
  BADJ ("1 2", "after the document");
  BADJ ("{\n  \"a\": x\n}", "unexpected character 'x' at line 2 column 8");
  BADJ ("{\n  \"\xc3\xa9\": x}", "unexpected character 'x' at line 2 column 8");
  BADJ ("[1,]", "trailing comma before ']' at line 1 column 4");
  BADJ ("{\"a\": 1 ,\n}", "trailing comma before '}' at line 2 column 1");
  BADJ ("[,1]", "unexpected character ','");
  BADJ ("[1 2]", "unexpected character '2' (expected ',' or ']')");
  BADJ ("{\"a\" 1}", "(expected ':')");
  BADJ ("{a: 1}", "unexpected character 'a' (expected a member name)");
  BADJ ("{'a': 1}", "unexpected character '''");
  BADJ ("[1", "unexpected end of input");
  BADJ ("{\"a\": 1", "unexpected end of input");
  BADJ ("01", "leading zeros are not allowed");
  BADJ ("-01", "leading zeros are not allowed");
  BADJ ("[00]", "leading zeros");
  BADJ ("NaN", "NaN and Infinity are not valid JSON");
  BADJ ("[Infinity]", "NaN and Infinity are not valid JSON");
  BADJ ("-Infinity", "NaN and Infinity are not valid JSON");
  BADJ ("nan", "unexpected character 'a'");
  BADJ ("1.", "unexpected end of input in a number");
  BADJ ("1.e5", "unexpected character 'e' in a number");
  BADJ ("1e", "unexpected end of input in a number");
  BADJ ("1e+", "in a number");
  BADJ (".5", "unexpected character '.'");
  BADJ ("+1", "unexpected character '+'");
  BADJ ("-", "unexpected end of input");
  BADJ ("0x10", "unexpected character 'x' after the document");
  BADJ ("tru", "unexpected end of input at line 1 column 4");
  BADJ ("truex", "unexpected character 'x' after the document");
  BADJ ("True", "unexpected character 'T'");
  BADJ ("[null, nul]", "unexpected character ']'");
  BADJ ("\f1", "unexpected byte 0x0c");
  BADJ ("\xc2\xa0" "1", "unexpected byte 0xc2");
  BADJ ("[1,\0]", "unexpected byte 0x00 at line 1 column 4");
  BADJ ("// comment\n1", "unexpected character '/'");
  BADJ ("\"a\" \"b\"", "after the document");

  v = J ("\t\r\n [ 1 ,\t2 ,\r\n{ } , [ ] , true,false,null ] \n");
  CHECK (v && v->type == JV_ARRAY && v->nr == 7 && v->items[2].type == JV_OBJECT &&
         v->items[3].type == JV_ARRAY && v->items[4].b && !v->items[5].b &&
         v->items[5].type == JV_BOOL && v->items[6].type == JV_NULL,
         "RFC whitespace and literals");
  jv_free (v);

  /* 64 levels are fine, 65 are not. */
  memset (deep, '[', 64);
  memset (deep + 64, ']', 64);
  v = jv_parse (deep, 128, "deep.json");
  CHECK (v && v->type == JV_ARRAY, "64 levels");
  jv_free (v);
  memset (deep, '[', 65);
  memset (deep + 65, ']', 65);
  v = jv_parse (deep, 130, "deep.json");
  CHECK (v == NULL && strstr (last_error (), "nesting deeper than 64 levels at "
                              "line 1 column 65"), "65 levels refused");
  memset (deep, '[', sizeof deep);
  v = jv_parse (deep, sizeof deep, "deep.json");
  CHECK (v == NULL, "300 levels refused");
  CHECK (strstr (last_error (), "parse JSON \"deep.json\": ") == last_error (),
         "message names the document");
}

static const char clouds_yaml[] =
  "clouds:\n"
  "  mycloud:\n"
  "    auth:\n"
  "      auth_url: https://keystone.example.com:5000/v3\n"
  "      username: \"alice\"\n"
  "      password: 's3cr#t: x'\n"
  "      project_name: demo\n"
  "      user_domain_name: Default\n"
  "      project_domain_id: default\n"
  "    region_name: RegionOne\n"
  "    interface: public\n"
  "    identity_api_version: 3\n"
  "    cacert: /etc/ssl/certs/ca.pem\n"
  "    verify: false\n"
  "  appcred:\n"
  "    auth_type: v3applicationcredential\n"
  "    auth:\n"
  "      auth_url: http://127.0.0.1:5000/v3\n"
  "      application_credential_id: 21dced0fd20347869b93710d2b98aae0\n"
  "      application_credential_secret: \"supersecret\"\n"
  "    regions:\n"
  "      - RegionOne\n"
  "      - name: RegionTwo\n"
  "        values:\n"
  "          interface: internal\n";

static void
test_clouds_yaml (void)
{
  struct jv *v = Y (clouds_yaml);
  const struct jv *c, *a, *r;
  bool b = true;

  CHECK (v && v->type == JV_OBJECT && v->nr == 1, "clouds.yaml parsed");
  c = jv_path (v, "clouds");
  CHECK (c && c->type == JV_OBJECT && c->nr == 2 && streq (c->keys[0], "mycloud") &&
         streq (c->keys[1], "appcred"), "two clouds in order");
  a = jv_path (v, "clouds.mycloud.auth");
  CHECK (a && a->nr == 6, "mycloud auth has 6 keys");
  CHECK (streq (jv_str (a, "auth_url"), "https://keystone.example.com:5000/v3"),
         "auth_url");
  CHECK (streq (jv_str (a, "username"), "alice"), "username");
  CHECK (streq (jv_str (a, "password"), "s3cr#t: x"), "password");
  CHECK (streq (jv_str (a, "project_name"), "demo"), "project_name");
  CHECK (streq (jv_str (a, "user_domain_name"), "Default"), "user_domain_name");
  CHECK (streq (jv_str (a, "project_domain_id"), "default"), "project_domain_id");
  c = jv_path (v, "clouds.mycloud");
  CHECK (c && c->nr == 6, "mycloud has 6 keys");
  CHECK (streq (jv_str (c, "region_name"), "RegionOne"), "region_name");
  CHECK (streq (jv_str (c, "interface"), "public"), "interface");
  CHECK (streq (jv_str (c, "identity_api_version"), "3"), "identity_api_version");
  CHECK (streq (jv_str (c, "cacert"), "/etc/ssl/certs/ca.pem"), "cacert");
  CHECK (streq (jv_str (c, "verify"), "false") &&
         yaml_truthy (jv_str (c, "verify"), &b) && !b, "verify: false");
  c = jv_path (v, "clouds.appcred");
  CHECK (c && c->nr == 3, "appcred has 3 keys");
  CHECK (streq (jv_str (c, "auth_type"), "v3applicationcredential"), "auth_type");
  a = jv_get (c, "auth");
  CHECK (a && a->nr == 3, "appcred auth has 3 keys");
  CHECK (streq (jv_str (a, "auth_url"), "http://127.0.0.1:5000/v3"), "auth_url 2");
  CHECK (streq (jv_str (a, "application_credential_id"),
                "21dced0fd20347869b93710d2b98aae0"), "application_credential_id");
  CHECK (streq (jv_str (a, "application_credential_secret"), "supersecret"),
         "application_credential_secret");
  r = jv_get (c, "regions");
  CHECK (r && r->type == JV_ARRAY && r->nr == 2, "two regions");
  if (r && r->nr == 2) {
    CHECK (r->items[0].type == JV_STRING && streq (r->items[0].s, "RegionOne"),
           "region as a string");
    CHECK (r->items[1].type == JV_OBJECT && r->items[1].nr == 2 &&
           streq (jv_str (&r->items[1], "name"), "RegionTwo"), "region as a map");
    CHECK (streq (jv_str (jv_path (&r->items[1], "values"), "interface"),
                  "internal"), "region values");
  }
  jv_free (v);

  /* The same with CRLF, a "---", comments and compact sequences. */
  v = Y ("--- # clouds\r\n"
         "# managed by hand\r\n"
         "clouds:   # all of them\r\n"
         "\r\n"
         "  # the lab\r\n"
         "  lab:\r\n"
         "    regions:\r\n"
         "    - one   # first\r\n"
         "    -   two\r\n"
         "    -\r\n"
         "      three\r\n"
         "    verify: 'no'\r\n"
         "...\r\n"
         "# end\r\n");
  c = jv_path (v, "clouds.lab");
  r = jv_get (c, "regions");
  CHECK (r && r->nr == 3 && streq (r->items[0].s, "one") &&
         streq (r->items[1].s, "two") && streq (r->items[2].s, "three"),
         "compact sequence, CRLF, comments");
  CHECK (streq (jv_str (c, "verify"), "no") && yaml_truthy ("no", &b) && !b,
         "after the sequence");
  jv_free (v);
}

static void
test_yaml_scalars (void)
{
  struct jv *v;
  bool b = false;

  yaml_value ("k: plain text  \n", "plain text", "plain, trailing blanks");
  yaml_value ("k: a#b # comment\n", "a#b", "# needs a blank before it");
  yaml_value ("k: 'it''s # \"x\"'\n", "it's # \"x\"", "single quotes");
  yaml_value ("k: \"a\\\"b\\\\c\\n\\t\\u00e9\\/\"\n", "a\"b\\c\n\t\xc3\xa9/",
              "double-quote escapes");
  yaml_value ("k: \"\\x41\\U0001F600\\ud83d\\ude00\\_\\N\"\n",
              "A\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xc2\xa0\xc2\x85",
              "more escapes");
  yaml_value ("k: \"\"\n", "", "empty double-quoted");
  yaml_value ("k: ''\n", "", "empty single-quoted");
  yaml_value ("k: http://h:5000/v3?a=b&c\n", "http://h:5000/v3?a=b&c", "URL");
  yaml_value ("k: -1\n", "-1", "negative number");
  yaml_value ("k: ~\n", "~", "~ is a string");
  yaml_value ("k: a\n  b\n\n  c\n", "a b\nc", "multi-line plain");
  yaml_value ("k: 'a\n   b  \n\n  c'\n", "a b\nc", "multi-line single-quoted");
  yaml_value ("k: \"a\\\n  b\\n\n  c\"\n", "ab\n c", "multi-line double-quoted");
  yaml_value ("\"k\": v\n", "v", "quoted key");
  yaml_value ("'k' :   v\n", "v", "quoted key, blank before the colon");
  yaml_value ("k:\tv\n", "v", "tab after the colon");
  yaml_value ("k: \xc3\xa9t\xc3\xa9\n", "\xc3\xa9t\xc3\xa9", "UTF-8");
  yaml_value ("\xef\xbb\xbfk: bom\n", "bom", "byte order mark");
  yaml_value ("k  : spaced\n", "spaced", "blanks before the colon");

  v = Y ("a:\nb: ''\nc:   # nothing\nd: x\n");
  CHECK (v && v->nr == 4 && jv_get (v, "a")->type == JV_NULL &&
         streq (jv_str (v, "b"), "") && jv_get (v, "c")->type == JV_NULL,
         "empty values are null");
  jv_free (v);
  v = Y ("m: {a: 1, b: 2, a: 3}\n");
  CHECK (v && jv_get (v, "m")->nr == 2 && streq (jv_str (jv_get (v, "m"), "a"), "3"),
         "duplicate key in a flow mapping");
  jv_free (v);
  v = Y ("a: 1\nb: 2\na: 3\n");
  CHECK (v && v->nr == 2 && streq (v->keys[0], "a") && streq (v->items[0].s, "3") &&
         streq (v->keys[1], "b"), "duplicate key: last value, first place");
  jv_free (v);
  v = Y ("");
  CHECK (v && v->type == JV_NULL, "empty document");
  jv_free (v);
  v = Y ("# only a comment\n---\n");
  CHECK (v && v->type == JV_NULL, "document of a comment and ---");
  jv_free (v);
  v = Y ("just a string");
  CHECK (v && v->type == JV_STRING && streq (v->s, "just a string"), "scalar document");
  jv_free (v);

  CHECK (yaml_truthy ("TRUE", &b) && b && yaml_truthy ("Yes", &b) && b &&
         yaml_truthy ("on", &b) && b && yaml_truthy ("off", &b) && !b &&
         yaml_truthy ("No", &b) && !b && yaml_truthy ("False", &b) && !b,
         "yaml_truthy");
  CHECK (!yaml_truthy ("1", &b) && !yaml_truthy ("", &b) &&
         !yaml_truthy ("y", &b) && !yaml_truthy (NULL, &b), "yaml_truthy refuses");

  /* Block scalars. */
  yaml_value ("k: |\n  line 1\n    indented\n\n  line 3\n\n\nn: x\n",
              "line 1\n  indented\n\nline 3\n", "literal, clip");
  yaml_value ("k: |-\n  a\n  b\n\n", "a\nb", "literal, strip");
  yaml_value ("k: |+\n  a\n\n\nn: 1\n", "a\n\n\n", "literal, keep");
  yaml_value ("k: >\n  folded\n  text\n\n  para\n    more\n  end\n",
              "folded text\npara\n  more\nend\n", "folded");
  yaml_value ("k: >-\n  a\n  b\n", "a b", "folded, strip");
  yaml_value ("k: |2\n    two extra\n  base\n", "  two extra\nbase\n",
              "explicit indentation");
  yaml_value ("k: |  # comment\n  # not a comment\n", "# not a comment\n",
              "comment in a block scalar");
  yaml_value ("k: |\nn: 1\n", "", "empty block scalar");
  yaml_value ("k: |\n  \tx\n", "\tx\n", "tab inside a block scalar");
  v = Y ("cacert: |\n"
         "  -----BEGIN CERTIFICATE-----\n"
         "  MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n"
         "  RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD\n"
         "  -----END CERTIFICATE-----\n"
         "verify: true\n");
  CHECK (v && streq (jv_str (v, "cacert"),
                     "-----BEGIN CERTIFICATE-----\n"
                     "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n"
                     "RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD\n"
                     "-----END CERTIFICATE-----\n") &&
         streq (jv_str (v, "verify"), "true"), "PEM certificate");
  jv_free (v);
  v = Y ("- |\n  a\n- >\n b\n c\n");
  CHECK (v && v->nr == 2 && streq (v->items[0].s, "a\n") &&
         streq (v->items[1].s, "b c\n"), "block scalars in a sequence");
  jv_free (v);
}

static void
test_yaml_collections (void)
{
  struct jv *v;
  const struct jv *t;

  v = Y ("- a\n- - b\n  - c\n- k: v\n  l: w\n-\n  m: n\n- \n- [x, 'y, z', \"w\"]\n");
  CHECK (v && v->type == JV_ARRAY && v->nr == 6, "sequence kinds");
  if (v && v->nr == 6) {
    CHECK (streq (v->items[0].s, "a"), "scalar entry");
    CHECK (v->items[1].type == JV_ARRAY && v->items[1].nr == 2 &&
           streq (v->items[1].items[1].s, "c"), "nested sequence");
    CHECK (v->items[2].nr == 2 && streq (jv_str (&v->items[2], "l"), "w"),
           "mapping entry");
    CHECK (streq (jv_str (&v->items[3], "m"), "n"), "mapping on the next line");
    CHECK (v->items[4].type == JV_NULL, "empty entry");
    t = &v->items[5];
    CHECK (t->type == JV_ARRAY && t->nr == 3 && streq (t->items[1].s, "y, z") &&
           streq (t->items[2].s, "w"), "flow sequence");
  }
  jv_free (v);

  v = Y ("e1: {}\ne2: []\nm: {a: 1, b: x y , 'c': \"d\", url: http://h:1/v3, n:}\n"
         "s: [ a , [b, c], {d: e}, ]\nz: { }\n");
  t = jv_get (v, "e1");
  CHECK (t && t->type == JV_OBJECT && t->nr == 0, "{}");
  t = jv_get (v, "e2");
  CHECK (t && t->type == JV_ARRAY && t->nr == 0, "[]");
  t = jv_get (v, "m");
  CHECK (t && t->nr == 5 && streq (jv_str (t, "a"), "1") &&
         streq (jv_str (t, "b"), "x y") && streq (jv_str (t, "c"), "d") &&
         streq (jv_str (t, "url"), "http://h:1/v3") &&
         jv_get (t, "n")->type == JV_NULL, "flow mapping");
  t = jv_get (v, "s");
  CHECK (t && t->nr == 3 && t->items[1].nr == 2 &&
         streq (jv_str (&t->items[2], "d"), "e"), "nested flow, trailing comma");
  jv_free (v);

  v = Y ("  a:\n      b:\n        - 1\n      c: 2\n  d: 3\n");
  CHECK (v && v->nr == 2 && streq (jv_str (v, "d"), "3") &&
         streq (jv_str (jv_path (v, "a"), "c"), "2") &&
         jv_path (v, "a.b")->nr == 1, "any indentation step");
  jv_free (v);
}

static void
test_yaml_refusals (void)
{
  BADY ("a:\n\tb: 1\n", "line 2: tabs are not allowed in indentation");
  BADY ("a:\n  \tb: 1\n", "line 2: tabs are not allowed in indentation");
  BADY ("-\tx\n", "line 1: tabs are not allowed in indentation");
  BADY ("a: &anchor 1\n", "parse YAML \"bad.yaml\" line 1: anchors and aliases "
        "are not supported");
  BADY ("a: 1\nb: *anchor\n", "line 2: anchors and aliases are not supported");
  BADY ("&x a: 1\n", "anchors and aliases are not supported");
  BADY ("a: [*x]\n", "anchors and aliases are not supported");
  BADY ("- &x\n", "anchors and aliases are not supported");
  BADY ("a: !!str 1\n", "line 1: tags are not supported");
  BADY ("a: !secret x\n", "tags are not supported");
  BADY ("%YAML 1.2\n---\na: 1\n", "line 1: directives are not supported");
  BADY ("a: 1\n---\nb: 2\n", "line 2: multiple documents are not supported");
  BADY ("a: 1\n...\nb: 2\n", "line 3: multiple documents are not supported");
  BADY ("--- a: 1\n", "content on the \"---\" line");
  BADY ("? a\n: b\n", "complex keys are not supported");
  BADY ("a:\n    b: 1\n  c: 2\n", "line 3: bad indentation of a mapping entry");
  BADY ("a: 1\n  b: 2\n", "line 2: bad indentation of a mapping entry");
  BADY ("a:\n  - x\n - y\n", "line 3: bad indentation of a mapping entry");
  BADY ("a:\n  b: 1\n   c: 2\n", "line 3: bad indentation of a mapping entry");
  BADY ("- a\n  - b\n-c\n", "line 3: expected a sequence entry");
  BADY ("- a\nb: 1\n", "line 2: expected a sequence entry");
  BADY ("a: 1\n- b\n", "line 2: a sequence entry is not allowed here");
  BADY ("a: 1\njunk\n", "line 2: expected \"key: value\"");
  BADY ("a: 1\nb:c\n", "line 2: expected \"key: value\" (a space must follow");
  BADY ("password: s3cr#t: x\n", "line 1: \": \" is not allowed in a plain value");
  BADY ("a: b:\n", "not allowed in a plain value");
  BADY ("a: - b\n", "a sequence entry is not allowed here");
  BADY ("a: 'unterminated\nb: 1\n", "line 1: unterminated quoted string");
  BADY ("a:\n  b: 'x\ny'\n", "line 2: unterminated quoted string (or its "
        "next lines are not indented)");
  BADY ("a: \"x\" y\n", "unexpected text after the value");
  BADY ("\"x\" y\n", "line 1: unexpected text after the value");
  BADY ("a: [- x]\n", "a plain value cannot start with '-'");
  BADY ("a: ['x, y]\n", "a quoted string in a flow collection must end");
  BADY ("- |\n  x\n - y\n", "line 3: bad indentation of a sequence entry");
  BADY ("a: 1\n... x\n", "line 2: unexpected text after \"...\"");
  BADY ("a: \"\\q\"\n", "invalid escape \"\\q\"");
  BADY ("a: \"\\ud800\"\n", "lone surrogate");
  BADY ("a: \"\\U00110000\"\n", "beyond U+10FFFF");
  BADY ("a: \"\\x4\"\n", "invalid escape \"\\x\" (2 hex digits must follow)");
  BADY ("a: [x, y\n", "line 1: a flow collection");
  BADY ("a: [x, y\n  , z]\n", "must end on its line");
  BADY ("a: [x: y]\n", "mappings inside flow sequences are not supported");
  BADY ("a: {x: y} z\n", "unexpected text after the value");
  BADY ("a: [x y z}\n", "expected ',' or ']'");
  BADY ("a: [,]\n", "a plain value cannot start with ','");
  BADY ("a: {[x]: y}\n", "complex keys are not supported");
  BADY ("a: |x\n  b\n", "unexpected text after the block scalar header");
  BADY ("a: |0\n  b\n", "block scalar header");
  BADY ("a: @x\n", "a plain value cannot start with '@'");
  BADY ("a: `x`\n", "cannot start with '`'");
  BADY ("a: 1\n\x01\n", "line 2: control character 0x01");
  BADY ("a: \xff\n", "line 1: invalid UTF-8");
  BADY ("a: 1\nb: x\0y\n", "line 2: the file contains a NUL byte");
  BADY ("a: \"x\\0\"\n", "\\0 (a NUL character)");
  BADY ("a:\n  b:\n    c: 1\n  d\n", "line 4: expected \"key: value\"");
  {
    char deep[8000];
    size_t n = 0;
    for (int i = 0; i < 80; i++)
      n += snprintf (deep + n, sizeof deep - n, "%*sk:\n", i, "");
    bad (true, deep, n, "nesting deeper than 64 levels");
    n = 0;
    for (int i = 0; i < 80; i++)
      deep[n++] = '[';
    bad (true, deep, n, "nesting deeper than 64 levels");
  }
}

/* ---------------------------------------------------------------- */
/* The JSON writer (json_escape and json_string in common/sbuf.c, the
 * event lines of common/log.c): any bytes in, valid UTF-8 JSON out.
 * The model decodes UTF-8 by arithmetic, independently of the writer.
 */

/* The length of the valid UTF-8 sequence at s[0..len), or 0. */
static size_t
model_seq (const unsigned char *s, size_t len)
{
  static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
  size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2
    : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
  uint32_t cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
  bool cont = true;

  for (size_t k = 1; k < n && k < len; k++) {
    cont = cont && (s[k] & 0xc0) == 0x80;
    cp = cp << 6 | (s[k] & 0x3f);
  }
  if (n == 0 || n > len || !cont || cp < min[n] ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return n;
}

/* What a strict parser must read back: each invalid byte is U+FFFD. */
static char *
model_value (const char *s)
{
  struct sbuf b = SBUF_INIT;
  size_t len = strlen (s), n;

  for (size_t i = 0; i < len; i += n)
    if ((n = model_seq ((const unsigned char *) s + i, len - i)) > 0)
      sbuf_add (&b, s + i, n);
    else {
      sbuf_puts (&b, "\xef\xbf\xbd");
      n = 1;
    }
  return sbuf_take (&b);
}

/* s is strict UTF-8: the model leaves it as it is. */
static bool
strict_utf8 (const char *s)
{
  CLEANUP_FREE char *m = s ? model_value (s) : NULL;
  return streq (m, s);
}

/* The escaped string is exactly 'want' (if not NULL), strict UTF-8
 * without raw control characters, and a document with it as a key and
 * as values, written by json_string, parses back to the model's value.
 */
static bool
escapes_to (const char *in, const char *want, bool pretty)
{
  struct sbuf b = SBUF_INIT;
  struct json j;
  CLEANUP_FREE char *doc = NULL, *val = model_value (in);
  struct jv *v;
  bool ok = json_escape (&b, in) == 0 && strict_utf8 (b.s ? b.s : "") &&
    (want == NULL || streq (b.s ? b.s : "", want));

  for (size_t i = 0; ok && i < b.len; i++)
    ok = (unsigned char) b.s[i] >= 0x20 && b.s[i] != 0x7f;
  sbuf_free (&b);
  json_init (&j, pretty);
  json_begin_object (&j, NULL);
  json_string (&j, in, in);
  json_begin_array (&j, "diff");
  json_string (&j, NULL, in);
  json_end_array (&j);
  json_end_object (&j);
  doc = json_take (&j);
  v = strict_utf8 (doc) ? jv_parse (doc, strlen (doc), "w.json") : NULL;
  ok = ok && v && v->nr == 2 && streq (jv_str (v, val), val) &&
    v->items[1].nr == 1 && streq (v->items[1].items[0].s, val);
  jv_free (v);
  return ok;
}
#define ESC(in, want) CHECK (escapes_to (in, want, false), "escape " #in)

static void
test_json_writer (void)
{
  static const char *const guest_files[] = {
    "auto eth0\n# R\xe9seau priv\xe9 \xab LAN \xbb\niface eth0 inet dhcp\n",
    "\x7f" "ELF\x02\x01\x01\x03\xff\xfe\xc0\x80\xed\xa0\x80\x1b[0m\"\\\xf8\x88\xe9",
    NULL
  };
  static const char *const seqs[] = {
    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf",
    "\xf4\x8f\xbf\xbf", "\xe0\xa0\x80", "\xef\xbf\xbd", "\xc2\x80"
  };
  unsigned seed = 12345, bad = 0;

  ESC ("hello, world ~/{}", "hello, world ~/{}");
  ESC ("a\"b\\c/", "a\\\"b\\\\c/");
  ESC ("\xc2\x80 \xc3\xa9 \xdf\xbf", "\xc2\x80 \xc3\xa9 \xdf\xbf");
  ESC ("\xe0\xa0\x80 \xe2\x82\xac \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf",
       "\xe0\xa0\x80 \xe2\x82\xac \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf");
  ESC ("\xf0\x90\x80\x80 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
       "\xf0\x90\x80\x80 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
  ESC ("R\xe9seau", "R\\ufffdseau");
  ESC ("\xc0\xaf \xc1\xbf \xe0\x80\xaf \xf0\x80\x80\xaf", "\\ufffd\\ufffd "
       "\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd");
  ESC ("\xed\xa0\x80 \xed\xbf\xbf", "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd");
  ESC ("\xf4\x90\x80\x80 \xf5\x80\x80\x80 \xf8\xfc\xfe\xff", "\\ufffd\\ufffd"
       "\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd");
  ESC ("ab\xe2\x82", "ab\\ufffd\\ufffd");
  ESC ("\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd");
  ESC ("x\xc3", "x\\ufffd");
  ESC ("\xe2\x82x\x80\xbf", "\\ufffd\\ufffdx\\ufffd\\ufffd");
  ESC ("\x01\x1f\x7f\t\r\n\b\f", "\\u0001\\u001f\\u007f\\t\\r\\n\\u0008\\u000c");
  ESC ("\x7f" "ELF\x02\x01\x01\xff\xe9\x89",
       "\\u007fELF\\u0002\\u0001\\u0001\\ufffd\\ufffd\\ufffd");
  ESC ("", "");
  for (size_t i = 0; guest_files[i]; i++)
    CHECK (escapes_to (guest_files[i], NULL, true), "guest file in a report");

  /* Random bytes, troublesome bytes, valid sequences and parts of them. */
  for (int t = 0; t < 10000; t++) {
    unsigned char s[64];
    size_t n = 0, len = (seed = seed * 1103515245 + 12345) >> 16 & 63;

    while (n < len) {
      unsigned r = (seed = seed * 1103515245 + 12345) >> 8;
      const char *q = seqs[r >> 2 & 7];
      if (r % 3 == 0)
        s[n++] = 1 + (r >> 2) % 255;
      else if (r % 3 == 1)
        s[n++] = "\x01\x1f\x7f\"\\ \t\na\xc0\xed\xf4\xf5\x80\xbf\xe0\xf0"[(r >> 2) % 17];
      else
        for (size_t m = 0, k = strlen (q) - (r >> 5 & 1); m < k && n < len; m++)
          s[n++] = q[m];
    }
    s[n] = '\0';
    if (!escapes_to ((const char *) s, NULL, t % 2) && bad++ == 0)
      fprintf (stderr, "random string %d fails\n", t);
  }
  CHECK (bad == 0, "10000 random strings: valid UTF-8 JSON, parsed back");
}

/* info() and warning() events in machine-readable mode (stdout). */
static void
test_json_events (void)
{
  static const char *const msgs[] = {
    "read \"/etc/R\xe9seau\": x", "\x7f" "ELF\x02\xff\xe9\x89\"\\\n", NULL
  };
  /* Messages are made one printable line before they are written
   * (log.c): each invalid byte and control character becomes '?', a
   * newline a space.
   */
  static const char *const want[] = {
    "read \"/etc/R?seau\": x", "?ELF????\"\\ ", NULL
  };
  struct log_settings ls = { .machine_readable = true }, none = { 0 };
  FILE *fp = tmpfile ();
  int out = dup (1), err = dup (2), null = open ("/dev/null", O_WRONLY);
  char *line = NULL;
  size_t cap = 0, nr = 0;
  bool ok = fp && out >= 0 && err >= 0 && null >= 0;

  fflush (stdout);
  if (ok && dup2 (fileno (fp), 1) >= 0 && dup2 (null, 2) >= 0) {
    log_configure (&ls);
    for (size_t i = 0; msgs[i]; i++) {
      info ("%s", msgs[i]);
      warning ("%s", msgs[i]);
    }
    fflush (stdout);
    log_configure (&none);
  }
  dup2 (out, 1);
  dup2 (err, 2);
  rewind (fp);
  for (; ok && getline (&line, &cap, fp) > 0 && nr < 4; nr++) {
    struct jv *v = strict_utf8 (line) ? J (line) : NULL;
    ok = v && streq (jv_str (v, "type"), nr % 2 ? "warning" : "info") &&
      streq (jv_str (v, "message"), want[nr / 2]);
    jv_free (v);
  }
  CHECK (ok && nr == 4, "machine-readable events are valid UTF-8 JSON");
  free (line);
  if (fp)
    fclose (fp);
  close (out);
  close (err);
  close (null);
}

int
main (void)
{
  test_openstack_json ();
  test_json_numbers ();
  test_json_strings ();
  test_json_refusals ();
  test_clouds_yaml ();
  test_yaml_scalars ();
  test_yaml_collections ();
  test_yaml_refusals ();
  test_json_writer ();
  test_json_events ();
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
