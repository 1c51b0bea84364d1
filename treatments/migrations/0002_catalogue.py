"""Loads the point catalogue from ../shared/reference/points.md, and the default plan settings.

After this the clinic admin edits the catalogue in the Django admin; re-running the migration
(``update_or_create`` by code) restores the reference values without duplicating rows.
"""

from django.db import migrations

# code, pinyin, kind, region, face area, side, face x, face y, role, pregnancy, lower abdominal, caution
POINTS = [
    ("GV24", "Shenting", "face", "forehead (hairline)", "forehead", "M", 50, 2, "forehead lines, calm", False, False, ""),
    ("ST8", "Touwei", "face", "forehead (corner)", "forehead", "B", 22, 6, "forehead lines", False, False, ""),
    ("GB14", "Yangbai", "face", "forehead", "forehead", "B", 38, 20, "forehead lines, drooping brow", False, False, ""),
    ("EX-HN3", "Yintang", "face", "forehead (glabella)", "forehead", "M", 50, 30, "frown lines, calm", False, False, ""),
    ("BL2", "Zanzhu", "face", "periorbital (inner brow)", "periorbital", "B", 43, 31, "frown lines, puffiness, eye area", False, False, ""),
    ("EX-HN4", "Yuyao", "face", "periorbital (mid brow)", "periorbital", "B", 36, 29, "upper-lid laxity", False, False, ""),
    ("TE23", "Sizhukong", "face", "periorbital (outer brow)", "periorbital", "B", 27, 31, "crow's feet", False, False, ""),
    ("GB1", "Tongziliao", "face", "periorbital (outer canthus)", "periorbital", "B", 25, 38, "crow's feet", False, False, ""),
    ("EX-HN5", "Taiyang", "face", "temple", "temple", "B", 18, 36, "crow's feet, tension", False, False, ""),
    ("ST1", "Chengqi", "face", "periorbital (below eye)", "periorbital", "B", 36, 42, "dark circles, puffiness", False, False, "shallow needling only"),
    ("ST2", "Sibai", "face", "cheek (infraorbital)", "cheek", "B", 36, 47, "dark circles, puffiness, dullness", False, False, ""),
    ("SI18", "Quanliao", "face", "cheek (below cheekbone)", "cheek", "B", 28, 55, "sagging, dullness, lift", False, False, ""),
    ("ST3", "Juliao", "face", "cheek", "cheek", "B", 37, 56, "nasolabial folds, sagging", False, False, ""),
    ("LI20", "Yingxiang", "face", "cheek (beside nostril)", "cheek", "B", 43, 58, "nasolabial folds, puffiness", False, False, ""),
    ("ST7", "Xiaguan", "face", "jawline (before ear)", "jawline", "B", 15, 50, "jaw tension, puffiness", False, False, ""),
    ("GV26", "Shuigou", "face", "perioral (philtrum)", "perioral", "M", 50, 65, "upper-lip lines", False, False, ""),
    ("ST4", "Dicang", "face", "perioral (mouth corner)", "perioral", "B", 41, 71, "marionette lines", False, False, ""),
    ("CV24", "Chengjiang", "face", "chin", "chin", "M", 50, 80, "chin and lip lines", False, False, ""),
    ("ST5", "Daying", "face", "jawline", "jawline", "B", 27, 82, "jowls, jawline", False, False, ""),
    ("ST6", "Jiache", "face", "jawline (masseter)", "jawline", "B", 17, 72, "jowls, jaw tension, puffiness", False, False, ""),
    ("CV23", "Lianquan", "face", "neck (under chin)", "neck", "M", 50, 95, "neck and double chin", False, False, ""),
    ("GB20", "Fengchi", "head", "neck (back)", "", "B", None, None, "circulation to head, tension", False, False, ""),
    ("GV20", "Baihui", "head", "vertex", "", "M", None, None, "general, lifting", False, False, ""),
    ("LI4", "Hegu", "body", "hand", "", "B", None, None, "command point of face and mouth", True, False, "avoid in pregnancy"),
    ("LI11", "Quchi", "body", "elbow", "", "B", None, None, "skin, heat, redness", False, False, ""),
    ("LU7", "Lieque", "body", "wrist", "", "B", None, None, "head and neck", False, False, ""),
    ("PC6", "Neiguan", "body", "wrist", "", "B", None, None, "calm, nausea, fainting-prone patients", False, False, ""),
    ("HT7", "Shenmen", "body", "wrist", "", "B", None, None, "calm, sleep", False, False, ""),
    ("ST36", "Zusanli", "body", "leg", "", "B", None, None, "qi and blood, tone, general", False, False, ""),
    ("SP6", "Sanyinjiao", "body", "leg", "", "B", None, None, "blood and yin, complexion", True, False, "avoid in pregnancy"),
    ("SP9", "Yinlingquan", "body", "leg", "", "B", None, None, "fluid, puffiness", False, False, ""),
    # The reference says "caution in pregnancy"; the clinic treats that as "avoid".
    ("SP10", "Xuehai", "body", "thigh", "", "B", None, None, "blood, discoloration, skin", True, False, "caution in pregnancy"),
    ("ST40", "Fenglong", "body", "leg", "", "B", None, None, "damp, puffiness", False, False, ""),
    ("KI3", "Taixi", "body", "ankle", "", "B", None, None, "yin, dark circles", False, False, ""),
    ("KI6", "Zhaohai", "body", "ankle", "", "B", None, None, "yin, dryness", False, False, ""),
    ("LR3", "Taichong", "body", "foot", "", "B", None, None, "stress, tension lines", False, False, ""),
    ("CV12", "Zhongwan", "body", "abdomen", "", "M", None, None, "digestion, damp", False, False, ""),
    ("CV6", "Qihai", "body", "lower abdomen", "", "M", None, None, "qi", True, True, "avoid in pregnancy"),
    ("CV4", "Guanyuan", "body", "lower abdomen", "", "M", None, None, "tonify", True, True, "avoid in pregnancy"),
    ("GB21", "Jianjing", "body", "shoulder", "", "B", None, None, "tension", True, False, "avoid in pregnancy; no deep needling (lung)"),
    ("BL60", "Kunlun", "body", "ankle", "", "B", None, None, "", True, False, "avoid in pregnancy"),
    ("BL67", "Zhiyin", "body", "little toe", "", "B", None, None, "", True, False, "avoid in pregnancy"),
]

# code, name, face area, bilateral, needles min, max, chart line (x1, y1, x2, y2; left side for bilateral)
PATTERNS = [
    ("forehead-lines", "Forehead lines (intradermal)", "forehead", False, 2, 10, (32, 13, 68, 13)),
    ("glabellar-lines", "Frown lines between the brows", "forehead", False, 2, 4, (50, 21, 50, 27)),
    ("crows-feet", "Crow's feet", "periorbital", True, 2, 8, (21, 33, 22, 42)),
    ("nasolabial-folds", "Nasolabial folds", "cheek", True, 2, 8, (41, 61, 38, 70)),
    ("marionette-lines", "Marionette lines", "perioral", True, 2, 6, (39, 74, 37, 81)),
    ("neck-lines", "Neck lines", "neck", False, 2, 10, (38, 91, 62, 91)),
]

# code, name, description, avoid with bleeding risk
ADJUNCTS = [
    ("gua-sha", "Facial gua sha", "Light scraping with a smooth stone: drainage and circulation.", False),
    ("cupping", "Facial cupping", "Small silicone cups moved over the face: lift and circulation.", True),
]

# concern code → {point, pattern or adjunct code: weight 1–5}
WEIGHTS = {
    "fine-lines": {
        "GB14": 4, "GV24": 2, "ST8": 3, "EX-HN3": 3, "TE23": 3, "GB1": 3, "EX-HN4": 2, "EX-HN5": 2,
        "LI4": 2, "ST36": 1, "SP6": 1,
        "forehead-lines": 4, "crows-feet": 4, "glabellar-lines": 2,
        "cupping": 2, "gua-sha": 1,
    },
    "wrinkles": {
        "GB14": 4, "EX-HN3": 4, "BL2": 3, "TE23": 3, "GB1": 3, "EX-HN5": 2, "ST3": 3, "LI20": 3, "ST4": 3,
        "GV26": 2, "CV24": 2, "LI4": 2, "LR3": 2, "ST36": 1,
        "forehead-lines": 5, "glabellar-lines": 4, "crows-feet": 4, "nasolabial-folds": 4, "marionette-lines": 3,
        "neck-lines": 2,
        "cupping": 2,
    },
    "puffiness": {
        "BL2": 3, "ST1": 3, "ST2": 4, "LI20": 2, "ST7": 3, "ST6": 3, "SI18": 2, "GB20": 1,
        "SP9": 4, "ST40": 4, "CV12": 3, "ST36": 2, "LI4": 1,
        "gua-sha": 4, "cupping": 1,
    },
    "dark-circles": {
        "ST1": 4, "ST2": 4, "BL2": 3, "EX-HN4": 2, "EX-HN5": 1,
        "KI3": 4, "KI6": 3, "SP6": 3, "SP10": 2, "ST36": 1,
        "gua-sha": 3,
    },
    "discoloration": {
        "ST2": 3, "SI18": 2, "ST3": 2, "LI20": 2, "EX-HN3": 1,
        "LI11": 4, "SP10": 4, "SP6": 3, "LR3": 2, "LI4": 1,
        "gua-sha": 2,
    },
    "dullness": {
        "ST2": 3, "SI18": 4, "ST3": 3, "CV24": 1, "GB20": 2, "GV20": 1,
        "ST36": 4, "SP6": 3, "LI4": 2, "LU7": 2, "CV6": 2, "HT7": 1,
        "gua-sha": 3, "cupping": 3,
    },
    "sagging": {
        "GB14": 3, "EX-HN4": 3, "SI18": 4, "ST3": 4, "ST5": 4, "ST6": 3, "ST4": 3, "CV23": 3, "ST7": 2,
        "GV20": 3, "ST36": 4, "CV6": 3, "CV4": 2, "SP6": 2,
        "nasolabial-folds": 3, "marionette-lines": 3, "neck-lines": 3,
        "cupping": 3, "gua-sha": 2,
    },
}


def load(apps, schema_editor):
    Point = apps.get_model("treatments", "Point")
    NeedlingPattern = apps.get_model("treatments", "NeedlingPattern")
    Adjunct = apps.get_model("treatments", "Adjunct")
    ConcernTarget = apps.get_model("treatments", "ConcernTarget")
    Concern = apps.get_model("patients", "Concern")
    PlanSettings = apps.get_model("treatments", "PlanSettings")

    PlanSettings.objects.get_or_create(pk=1)
    points = {}
    for order, (code, pinyin, kind, region, area, side, x, y, role, pregnancy, abdominal, caution) in enumerate(POINTS):
        points[code], _ = Point.objects.update_or_create(
            code=code,
            defaults={
                "pinyin": pinyin, "kind": kind, "region": region, "face_area": area, "side": side,
                "face_x": x, "face_y": y, "role": role, "avoid_in_pregnancy": pregnancy,
                "lower_abdominal": abdominal, "caution": caution, "display_order": (order + 1) * 10,
            },
        )
    patterns = {}
    for order, (code, name, area, bilateral, low, high, (x1, y1, x2, y2)) in enumerate(PATTERNS):
        patterns[code], _ = NeedlingPattern.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "face_area": area, "bilateral": bilateral, "needles_min": low, "needles_max": high,
                "line_x1": x1, "line_y1": y1, "line_x2": x2, "line_y2": y2, "display_order": (order + 1) * 10,
            },
        )
    adjuncts = {}
    for order, (code, name, description, bleeding) in enumerate(ADJUNCTS):
        adjuncts[code], _ = Adjunct.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "avoid_with_bleeding_risk": bleeding,
                      "display_order": (order + 1) * 10},
        )
    for concern_code, targets in WEIGHTS.items():
        concern = Concern.objects.get(code=concern_code)
        for code, weight in targets.items():
            field = "point" if code in points else "pattern" if code in patterns else "adjunct"
            target = points.get(code) or patterns.get(code) or adjuncts[code]
            ConcernTarget.objects.update_or_create(concern=concern, **{field: target}, defaults={"weight": weight})


def unload(apps, schema_editor):
    for model in ("ConcernTarget", "Point", "NeedlingPattern", "Adjunct", "PlanSettings"):
        apps.get_model("treatments", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0001_initial"),
        ("patients", "0002_concern_catalogue"),
    ]
    operations = [migrations.RunPython(load, unload)]
