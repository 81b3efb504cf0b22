"""ONNX models for the Importer tests, built with onnx.helper, and their expected outputs computed
independently with NumPy from the same parameters (never with an ONNX runtime).

  build DIR CSV   fits the parameters on the CSV's complete rows with NumPy and writes
                  DIR/linear.onnx   ai.onnx.ml Scaler -> LinearClassifier (softmax) -> ZipMap, species
                  DIR/trees.onnx    Concat -> ai.onnx.ml TreeEnsembleRegressor, body mass in kg
                  DIR/mlp.onnx      MatMul/Add/Relu/MatMul/Add/Sigmoid, P(male)
                  DIR/scaled.onnx   for `feed: transform`: MatMul/Add over three z-scored features plus
                                    Gather over the island's vocabulary index (int64), body mass in kg
                  DIR/params.json   every parameter, for `predict`
  predict DIR     reads {"model": name, "rows": [{column: value}], "train": [{column: value}]} on
                  stdin (`train`: the raw train split, for `scaled`, whose z-scores and vocabulary
                  NumPy fits from it as Pipewise's Transform is documented to: population std, the
                  vocabulary by count then value, a missing number filled with the mean), prints the
                  expected outputs: {"probabilities": [[...]]} or {"values": [...]}; a null is NaN
"""
import json
import sys

import numpy as np

FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
SPECIES = ["Adelie", "Chinstrap", "Gentoo"]


def complete_rows(csv_path):
    import csv

    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        if any(r[c] in ("", "NA") for c in FEATURES + ["species", "sex"]):
            continue
        out.append(r)
    return out


def fit_softmax(x, y, k, steps=3000, lr=0.5):
    w = np.zeros((x.shape[1], k))
    b = np.zeros(k)
    onehot = np.eye(k)[y]
    for _ in range(steps):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / len(x)
        w -= lr * (x.T @ g)
        b -= lr * g.sum(axis=0)
    return w, b


def trees():
    """Two hand-made trees over (flipper_length_mm, bill_length_mm): node lists in ONNX's layout."""
    # Each tree: nodes (id, feature, threshold, true_id, false_id) for BRANCH_LEQ, leaves id -> value.
    return [
        {"branches": [(0, 0, 206.5, 1, 2), (1, 1, 40.25, 3, 4), (2, 1, 48.35, 5, 6)], "leaves": {3: 3.45, 4: 3.9, 5: 4.95, 6: 5.6}},
        {"branches": [(0, 1, 45.05, 1, 2), (1, 0, 190.5, 3, 4)], "leaves": {3: -0.08, 4: 0.05, 2: 0.12}},
    ]


def string_to_float_map():
    """map(string, float), built by hand: onnx 1.12's helper has no make_map_type_proto."""
    from onnx import TensorProto, TypeProto, helper

    t = TypeProto()
    t.map_type.key_type = TensorProto.STRING
    t.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    return t


def build(out, csv_path):
    from onnx import TensorProto, helper, save, checker

    rows = complete_rows(csv_path)
    x = np.array([[float(r[c]) for c in FEATURES] for r in rows])
    mean, std = x.mean(axis=0), x.std(axis=0)
    xs = (x - mean) / std
    species = np.array([SPECIES.index(r["species"]) for r in rows])
    w, b = fit_softmax(xs, species, 3)
    male = np.array([1 if r["sex"] == "male" else 0 for r in rows])
    rng = np.random.default_rng(7)
    w1, b1 = rng.normal(0, 0.8, (4, 6)), rng.normal(0, 0.3, 6)
    w2, b2 = rng.normal(0, 0.8, (6, 1)), rng.normal(0, 0.3, 1)
    params = {"mean": mean.tolist(), "std": std.tolist(), "w": w.tolist(), "b": b.tolist(), "w1": w1.tolist(), "b1": b1.tolist(), "w2": w2.tolist(), "b2": b2.tolist(), "trees": trees()}
    with open(f"{out}/params.json", "w") as f:
        json.dump(params, f)
    ml = helper.make_opsetid("ai.onnx.ml", 3)
    std_opset = helper.make_opsetid("", 15)

    # 1. Scaler -> LinearClassifier -> ZipMap (skl2onnx's layout for a LogisticRegression pipeline).
    nodes = [
        helper.make_node("Scaler", ["features"], ["scaled"], domain="ai.onnx.ml", offset=mean.tolist(), scale=(1 / std).tolist()),
        helper.make_node(
            "LinearClassifier", ["scaled"], ["label", "probability_tensor"], domain="ai.onnx.ml",
            coefficients=w.T.flatten().tolist(), intercepts=b.tolist(), classlabels_strings=SPECIES, post_transform="SOFTMAX", multi_class=1,
        ),
        helper.make_node("ZipMap", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml", classlabels_strings=SPECIES),
    ]
    graph = helper.make_graph(
        nodes, "penguin_linear",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 4])],
        [
            helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
            helper.make_value_info("probabilities", helper.make_sequence_type_proto(string_to_float_map())),
        ],
    )
    model = helper.make_model(graph, opset_imports=[std_opset, ml], producer_name="pipewise-test")
    model.ir_version = 8
    checker.check_model(model)
    save(model, f"{out}/linear.onnx")

    # 2. Two [N, 1] inputs -> Concat -> TreeEnsembleRegressor.
    t_ids, n_ids, feat, thr, modes, true_ids, false_ids = [], [], [], [], [], [], []
    tgt_tree, tgt_node, tgt_w = [], [], []
    for t, tree in enumerate(trees()):
        ids = sorted({n[0] for n in tree["branches"]} | set(tree["leaves"]))
        for nid in ids:
            branch = next((n for n in tree["branches"] if n[0] == nid), None)
            t_ids.append(t)
            n_ids.append(nid)
            if branch:
                feat.append(branch[1]); thr.append(branch[2]); modes.append("BRANCH_LEQ"); true_ids.append(branch[3]); false_ids.append(branch[4])
            else:
                feat.append(0); thr.append(0.0); modes.append("LEAF"); true_ids.append(0); false_ids.append(0)
                tgt_tree.append(t); tgt_node.append(nid); tgt_w.append(tree["leaves"][nid])
    nodes = [
        helper.make_node("Concat", ["flipper", "bill"], ["both"], axis=1),
        helper.make_node(
            "TreeEnsembleRegressor", ["both"], ["variable"], domain="ai.onnx.ml", n_targets=1,
            nodes_treeids=t_ids, nodes_nodeids=n_ids, nodes_featureids=feat, nodes_values=thr, nodes_modes=modes,
            nodes_truenodeids=true_ids, nodes_falsenodeids=false_ids,
            target_treeids=tgt_tree, target_nodeids=tgt_node, target_ids=[0] * len(tgt_tree), target_weights=tgt_w, aggregate_function="SUM",
        ),
    ]
    graph = helper.make_graph(
        nodes, "penguin_trees",
        [helper.make_tensor_value_info("flipper", TensorProto.FLOAT, ["N", 1]), helper.make_tensor_value_info("bill", TensorProto.FLOAT, ["N", 1])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["N", 1])],
    )
    model = helper.make_model(graph, opset_imports=[std_opset, ml], producer_name="pipewise-test")
    model.ir_version = 8
    checker.check_model(model)
    save(model, f"{out}/trees.onnx")

    # 3. A small MLP of standard operators, standardization folded into the first layer.
    w1f = (w1.T / std).T
    b1f = b1 - (mean / std) @ w1
    inits = [
        helper.make_tensor("W1", TensorProto.FLOAT, [4, 6], w1f.astype(np.float32).flatten().tolist()),
        helper.make_tensor("B1", TensorProto.FLOAT, [6], b1f.astype(np.float32).tolist()),
        helper.make_tensor("W2", TensorProto.FLOAT, [6, 1], w2.astype(np.float32).flatten().tolist()),
        helper.make_tensor("B2", TensorProto.FLOAT, [1], b2.astype(np.float32).tolist()),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h0"]),
        helper.make_node("Add", ["h0", "B1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("MatMul", ["h2", "W2"], ["o0"]),
        helper.make_node("Add", ["o0", "B2"], ["o1"]),
        helper.make_node("Sigmoid", ["o1"], ["p_male"]),
    ]
    graph = helper.make_graph(
        nodes, "penguin_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("p_male", TensorProto.FLOAT, ["N", 1])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[std_opset], producer_name="pipewise-test")
    model.ir_version = 8
    checker.check_model(model)
    save(model, f"{out}/mlp.onnx")
    params["w1f"], params["b1f"] = w1f.tolist(), b1f.tolist()

    # 4. A model trained elsewhere on the Transform's output: x = three z-scored features, island =
    # the vocabulary index of the island (3 islands + 1 out-of-vocabulary bucket). Fixed weights: the
    # test checks the arithmetic, not the fit.
    ws, bs, table = [0.05, -0.06, 0.55], 4.2, [0.1, -0.05, 0.0, 0.3]
    inits = [
        helper.make_tensor("WS", TensorProto.FLOAT, [3, 1], ws),
        helper.make_tensor("BS", TensorProto.FLOAT, [1], [bs]),
        helper.make_tensor("ISLAND_TABLE", TensorProto.FLOAT, [4], table),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "WS"], ["s0"]),
        helper.make_node("Add", ["s0", "BS"], ["s1"]),
        helper.make_node("Gather", ["ISLAND_TABLE", "island"], ["i0"], axis=0),
        helper.make_node("Add", ["s1", "i0"], ["mass_kg"]),
    ]
    graph = helper.make_graph(
        nodes, "penguin_scaled",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3]), helper.make_tensor_value_info("island", TensorProto.INT64, ["N", 1])],
        [helper.make_tensor_value_info("mass_kg", TensorProto.FLOAT, ["N", 1])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[std_opset], producer_name="pipewise-test")
    model.ir_version = 8
    checker.check_model(model)
    save(model, f"{out}/scaled.onnx")
    params["scaled"] = {"w": ws, "b": bs, "table": table}
    with open(f"{out}/params.json", "w") as f:
        json.dump(params, f)


SCALED = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]


def numeric(rows, columns):
    return np.array([[np.nan if r[c] is None else float(r[c]) for c in columns] for r in rows], dtype=np.float64)


def predict_scaled(p, rows, train):
    t = numeric(train, SCALED)
    mean, std = np.nanmean(t, axis=0), np.nanstd(t, axis=0)
    x = numeric(rows, SCALED)
    x = np.where(np.isnan(x), mean, x)
    z = (x - mean) / std
    counts = {}
    for r in train:
        if r["island"] is not None:
            counts[r["island"]] = counts.get(r["island"], 0) + 1
    vocabulary = sorted(counts, key=lambda v: (-counts[v], v))
    # Any value outside the vocabulary is the one out-of-vocabulary bucket.
    index = [vocabulary.index(r["island"]) if r["island"] in vocabulary else len(vocabulary) for r in rows]
    s = p["scaled"]
    return (z @ np.array(s["w"]) + s["b"] + np.array(s["table"])[index]).tolist()


def predict(out):
    request = json.load(sys.stdin)
    with open(f"{out}/params.json") as f:
        p = json.load(f)
    rows = request["rows"]
    name = request["model"]
    if name == "scaled":
        print(json.dumps({"values": predict_scaled(p, rows, request["train"])}))
        return
    x = numeric(rows, FEATURES)
    if name == "linear":
        z = ((x - np.array(p["mean"])) / np.array(p["std"])) @ np.array(p["w"]) + np.array(p["b"])
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        print(json.dumps({"probabilities": (e / e.sum(axis=1, keepdims=True)).tolist()}))
    elif name == "trees":
        # The runtime compares float32 features with float32 thresholds: so does the oracle.
        f = x[:, [2, 0]].astype(np.float32)
        total = np.zeros(len(rows))
        for tree in p["trees"]:
            branches = {n[0]: n for n in tree["branches"]}
            leaves = {int(k): v for k, v in tree["leaves"].items()}
            for i in range(len(rows)):
                node = 0
                while node not in leaves:
                    _, feature, threshold, t, fl = branches[node]
                    node = t if f[i, feature] <= np.float32(threshold) else fl
                total[i] += leaves[node]
        print(json.dumps({"values": total.tolist()}))
    elif name == "mlp":
        h = np.maximum(x @ np.array(p["w1f"]) + np.array(p["b1f"]), 0)
        o = h @ np.array(p["w2"]) + np.array(p["b2"])
        print(json.dumps({"values": (1 / (1 + np.exp(-o[:, 0]))).tolist()}))
    else:
        raise SystemExit(f"unknown model {name}")


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
    else:
        predict(sys.argv[2])
