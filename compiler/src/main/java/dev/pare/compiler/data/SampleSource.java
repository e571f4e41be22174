package dev.pare.compiler.data;

import dev.pare.spi.CalibrationData;
import java.io.Closeable;

/**
 * Calibration or comparison samples opened by {@link CalibrationDataReaders}; close it to release
 * the files it keeps open (an {@code .npz}).
 */
public interface SampleSource extends CalibrationData, Closeable {}
