package dev.pare.passes.compression.math;

/**
 * Where each element of a weight sits in a palettization: its index position (one per vector of
 * {@code cluster_dim} values along the LUT axis), its component in that vector, its LUT group, and
 * its per-channel scale (null without scales). The data-aware palettizers re-assign or re-fit
 * indices element by element and need this map; {@link Palettizer} lays out indices the same way.
 *
 * @param positionOf  element -> index position
 * @param componentOf element -> component within its vector
 * @param groupOf     element -> LUT group (0 for a per-tensor LUT)
 * @param scaleOf     element -> its per-channel scale, or null when the palettization has none
 */
record PaletteLayout(int[] positionOf, int[] componentOf, int[] groupOf, float[] scaleOf) {

    static PaletteLayout of(long[] shape, Palettization fitted) {
        int n = Shapes.count(shape);
        int cd = fitted.clusterDim();
        int rank = shape.length;
        int axis = fitted.axis();
        int ax = axis < 0 ? 0 : axis;
        int channels = rank == 0 ? 1 : (int) shape[ax];
        int inner = rank == 0 ? 1 : Shapes.inner(shape, ax);
        int vectorsPerRow = channels / cd;
        int[] positionOf = new int[n];
        int[] componentOf = new int[n];
        int[] groupOf = new int[n];
        float[] scaleOf = fitted.scales() == null ? null : new float[n];
        long[] strides = Shapes.strides(shape);
        long[] scaleStrides = fitted.scales() == null ? null : Shapes.strides(fitted.scaleShape());
        for (int e = 0; e < n; e++) {
            int o = rank == 0 ? 0 : e / (channels * inner);
            int a = rank == 0 ? 0 : (e / inner) % channels;
            int i = rank == 0 ? 0 : e % inner;
            positionOf[e] = (o * vectorsPerRow + a / cd) * inner + i;
            componentOf[e] = a % cd;
            groupOf[e] = axis < 0 ? 0 : a / fitted.groupSize();
            if (scaleOf != null) scaleOf[e] = fitted.scales()[Palettizer.broadcastIndex(e, shape, strides, fitted.scaleShape(), scaleStrides)];
        }
        return new PaletteLayout(positionOf, componentOf, groupOf, scaleOf);
    }
}
